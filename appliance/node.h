#pragma once
// One Lifeboat node wired together (DESIGN.md "The shape"): the data dir, the `log` LevelDB with
// its group-commit writer and single-node proposer, the `state` LevelDB with the projection
// worker, and the admin API listener. Modules get the Proposer and the StateReader from here.
//
// Data dir layout (created 0700):
//   <data_dir>/log/          LogStore (identity in meta "identity")
//   <data_dir>/state/        ProjectionRunner
//   <data_dir>/admin.token   admin API bearer token, 0600
//   <data_dir>/BALLAST       space kept to start on a full disk (ballast.h)
//
// Lifecycle, all on the loop thread: Start() opens everything and listens; the caller runs the
// loop; on SIGTERM/SIGINT the caller stops the loop and calls Shutdown(), which stops the
// listeners, drains the writer (every queued proposal gets its callback), lets the projections
// catch up with the durable log, and closes the databases.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/admin/admin_router.h"
#include "appliance/admin/admin_server.h"
#include "appliance/admin/directory_actions.h"
#include "appliance/ballast.h"
#include "appliance/config/config.h"
#include "appliance/directory_service.h"
#include "appliance/disk_reserve.h"
#include "appliance/env/libevent_env.h"
#include "appliance/log/logger.h"
#include "appliance/metrics/metrics.h"
#include "appliance/metrics/node_metrics.h"
#include "appliance/projection_list.h"
#include "appliance/retention_job.h"
#include "appliance/smtp/smtp_service.h"
#include "eventlog/group_commit.h"
#include "eventlog/log_store.h"
#include "eventlog/projection_runner.h"
#include "eventlog/projection_worker.h"
#include "eventlog/proposer.h"
#include "eventlog/read_only_overlay_env.h"
#include "eventlog/single_node_proposer.h"

namespace lifeboat {

inline constexpr std::string_view kLogDirName = "log";
inline constexpr std::string_view kStateDirName = "state";
inline constexpr size_t kAdminLogReadBytesMax = 16u << 20;
// SIGTERM waits at most this long for messages in flight to be answered.
// How long the projection worker waits, once woken by a commit, for more to fold in the same
// batch (projection_worker.h): the mailbox and directory views lag ingest by up to this much,
// far below what a person at the webmail notices.
inline constexpr std::chrono::microseconds kProjectionLinger = std::chrono::milliseconds(2);
// The projection thread's niceness: under CPU contention ingest runs first. Measured at 10 SMTP
// sessions on 2 cores: 7-17% more messages per second and about 14% less time from end of data
// to 250 than at 0. CFS still gives a nice-19 thread about 1.5% of a CPU it shares with a
// nice-0 thread, and all of an idle one: a flood that holds both cores delays the mailbox views
// (`lifeboat status` shows projection_lag), never the mail.
inline constexpr int kProjectionNice = 19;
inline constexpr Duration kDrainTimeout = std::chrono::seconds(10);
inline constexpr Duration kDrainPollInterval = std::chrono::milliseconds(20);

// Creates `path` (and missing parents) with mode 0700; an existing directory is kept as is.
Status CreatePrivateDirectory(const std::string& path);

class Node : public admin::AdminBackend {
 public:
  // `env` and `logger` must outlive the node. Errors name what failed (identity mismatch,
  // locked log, port in use).
  static Result<std::unique_ptr<Node>> Start(const config::Config& config, LibeventEnv& env,
                                             Logger& logger);
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // SIGTERM, first step (loop running): stop accepting SMTP sessions and directory syncs, then
  // call `drained` once every message in flight was answered (its proposal durable or failed)
  // and its reply had a loop turn to flush, or after kDrainTimeout at most.
  void BeginDrain(std::function<void()> drained);

  // Loop stopped or not; call on the loop thread. Idempotent. Errors: a projection could not
  // catch up (the log is safe; state is rebuilt at the next start or with `lifeboat rebuild`).
  Status Shutdown();

  eventlog::Proposer& proposer() { return *proposer_; }
  // "" when [smtp] is not configured.
  std::string smtp_address() const { return smtp_ ? smtp_->bound_address() : ""; }
  const directory::DirectoryView& directory() const { return *projections_.directory_view; }
  DirectoryService& directory_service() { return *directory_service_; }
  // SIGHUP: re-reads the TLS certificate and key.
  Status ReloadTls();
  // Started read-only on a full disk: `reopen` runs once, on the loop thread, when space has
  // returned; the owner then shuts this node down and starts a new one (cli/serve_command.cc).
  void OnReopenWanted(std::function<void()> reopen) { reopen_ = std::move(reopen); }
  bool read_only_mode() const { return read_only_env_ != nullptr; }
  const eventlog::StateReader& state() const { return *runner_; }
  uint16_t admin_port() const { return admin_server_ ? admin_server_->port() : 0; }
  const std::string& admin_token() const { return admin_token_; }
  // Every projection has folded the log through this index. Any thread.
  uint64_t applied_index() const { return runner_ ? runner_->applied_index() : 0; }

  // admin::AdminBackend
  std::string StatusJson() override;
  uint64_t CommitIndex() override;
  uint64_t LogLastIndex() override;
  uint64_t ProjectionAppliedIndex() override;
  std::string MetricsText() override;
  Result<std::string> LogJson(uint64_t from, uint64_t count) override;
  // Mailbox and directory endpoints (`lifeboat mailbox`, `lifeboat directory`): node_admin.cc.
  Result<std::string> MailboxesJson(uint64_t limit) override;
  Result<std::string> MailboxMessagesJson(std::string_view address_or_id, std::string_view folder,
                                          uint64_t limit, std::string_view after) override;
  Result<std::string> MessageJson(std::string_view address_or_id,
                                  std::string_view message_id) override;
  Result<std::string> RawMessage(std::string_view address_or_id,
                                 std::string_view message_id) override;
  std::string DirectoryStatusJson() override;
  Result<std::string> DirectoryEntryJson(std::string_view address_or_id) override;
  Result<std::string> DirectorySearchJson(std::string_view text, uint64_t limit) override;
  Result<std::string> StartDirectorySync(bool full, bool confirm_mass_deprovision) override;
  Result<std::string> StartDirectoryImport(bool confirm_mass_deprovision) override;
  Result<std::string> DirectoryActionJson(uint64_t id) override;

 private:
  Node(const config::Config& config, LibeventEnv& env, Logger& logger);
  Status Open();
  void OnDurable(uint64_t durable_last_index);
  void OnCommitted(uint64_t commit_index);
  void OnApplied(Result<uint64_t> applied_index);
  void RefreshGauges();
  void CheckDrained();
  // node_disk.cc: the disk reserve and the ballast. Before the stores open: releases the ballast
  // when the free space is below what opening needs. After: starts the periodic check.
  void PrepareDiskForOpen();
  void StartDiskChecks();
  void OnDiskAccepting(bool accepting, const DiskFigures& figures);
  void KeepBallast();
  std::string DiskJson();
  // After a store failed to open: whether the disk's lack of space is why.
  bool NoSpaceToOpen(const Status& failure) const;
  // Switches to read-only (creates read_only_env_, refuses every append) and returns the Env the
  // stores open on.
  leveldb::Env* EnterReadOnlyMode(const Status& failure);
  // Read-only: once the disk could take a writable open, asks the owner (OnReopenWanted) once.
  void MaybeRequestReopen();

  const config::Config config_;
  LibeventEnv& env_;
  Logger& logger_;
  MonoTime started_at_{};

  metrics::Registry registry_;
  metrics::NodeMetrics metrics_;
  NodeProjections projections_;
  // Consulted by the writer before each batch: declared before it, destroyed after it.
  std::unique_ptr<DiskReserve> disk_reserve_;
  std::unique_ptr<Ballast> ballast_;
  bool ballast_released_at_start_ = false;
  // Set when the disk had no room to open the stores for writing: they are opened on it, and it
  // outlives them (read_only_overlay_env.h). The node then asks to be reopened once space returns.
  std::unique_ptr<eventlog::ReadOnlyOverlayEnv> read_only_env_;
  std::function<void()> reopen_;
  bool reopen_requested_ = false;
  bool open_read_only_ = false;  // Start's second try, after a write failed for space in Open
  // Declaration order is teardown order reversed: the writer and worker stop before the stores
  // they use close.
  std::unique_ptr<eventlog::LogStore> log_;
  std::unique_ptr<eventlog::ProjectionRunner> runner_;
  std::unique_ptr<eventlog::GroupCommitWriter> writer_;
  std::unique_ptr<eventlog::SingleNodeProposer> proposer_;
  std::unique_ptr<eventlog::ProjectionWorker> worker_;
  std::string admin_token_;
  std::unique_ptr<admin::AdminRouter> admin_router_;
  std::unique_ptr<admin::AdminServer> admin_server_;
  std::unique_ptr<DirectoryService> directory_service_;
  std::unique_ptr<smtp_driver::SmtpService> smtp_;
  std::unique_ptr<RetentionJob> retention_;
  // Operator-started directory syncs and imports; shared so a late completion can tell the node
  // is gone (it holds a weak_ptr).
  std::shared_ptr<admin::DirectoryActions> directory_actions_ =
      std::make_shared<admin::DirectoryActions>();
  std::optional<Status> projection_error_;
  std::function<void()> drained_;
  MonoTime drain_deadline_{};
  TimerId drain_timer_ = 0;
  bool shut_down_ = false;
};

}  // namespace lifeboat
