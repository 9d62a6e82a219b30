#pragma once
// The node's admin backend (admin/admin_router.h): status, metrics, log pages, mailbox and
// directory reads, directory actions, over the node's storage and services.
//
// Reads of the stores (a log page of up to kAdminLogReadBytesMax, a raw message of up to 50 MiB,
// mailbox listings) run off the loop on one SerialExecutor, "lb-admin-read", so that SMTP and the
// other admin requests keep being answered meanwhile; each result is posted back to the loop.
// LogStore and StateReader reads are thread-safe next to the writer and the projection worker
// (log_store.h, projection_runner.h), as is the directory view (directory_view.h). At most
// kAdminReadsQueuedMax reads wait at a time; more get 503 at once. Status, metrics and the
// directory's in-memory view are answered on the loop.
//
// Ownership: `env`, `logger`, `storage` and `services` outlive the backend. Stop() (or the
// destructor) drains the executor, which must happen before the storage closes.
// Threading: loop thread, except what runs on the executor.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "appliance/admin/admin_router.h"
#include "appliance/admin/directory_actions.h"
#include "appliance/admin/mailbox_queries.h"
#include "appliance/config/config.h"
#include "appliance/env/env.h"
#include "appliance/log/logger.h"
#include "appliance/metrics/metrics.h"
#include "appliance/metrics/node_metrics.h"
#include "appliance/node_services.h"
#include "appliance/node_storage.h"

namespace lifeboat {

// The most one log page reads (kAdminLogCountMax events, cut short past this).
inline constexpr size_t kAdminLogReadBytesMax = 16u << 20;
// Admin reads queued for or running on the read executor at once.
inline constexpr size_t kAdminReadsQueuedMax = 16;
inline constexpr char kAdminReadThreadName[] = "lb-admin-read";

class NodeAdminBackend final : public admin::AdminBackend {
 public:
  NodeAdminBackend(const config::Config& config, Env& env, Logger& logger, NodeStorage& storage,
                   NodeServices& services);
  ~NodeAdminBackend() override;
  NodeAdminBackend(const NodeAdminBackend&) = delete;
  NodeAdminBackend& operator=(const NodeAdminBackend&) = delete;

  // Shown in /v1/status once the admin listener is bound.
  void SetAdminPort(uint16_t port) { admin_port_ = port; }
  // Waits for the reads in flight; their results are posted (and dropped if the loop no longer
  // runs). Later reads answer Unavailable. Idempotent.
  void Stop();

  // admin::AdminBackend
  std::string StatusJson() override;
  uint64_t CommitIndex() override { return storage_.commit_index(); }
  uint64_t LogLastIndex() override { return storage_.log().last_index(); }
  uint64_t ProjectionAppliedIndex() override { return storage_.applied_index(); }
  std::string MetricsText() override;
  void LogJson(uint64_t from, uint64_t count, ReadDone done) override;
  void MailboxesJson(uint64_t limit, ReadDone done) override;
  void MailboxMessagesJson(std::string address_or_id, std::string folder, uint64_t limit,
                           std::string after, ReadDone done) override;
  void MessageJson(std::string address_or_id, std::string message_id, ReadDone done) override;
  void RawMessage(std::string address_or_id, std::string message_id, ReadDone done) override;
  std::string DirectoryStatusJson() override;
  Result<std::string> DirectoryEntryJson(std::string_view address_or_id) override;
  Result<std::string> DirectorySearchJson(std::string_view text, uint64_t limit) override;
  Result<std::string> StartDirectorySync(bool full, bool confirm_mass_deprovision) override;
  Result<std::string> StartDirectoryImport(bool confirm_mass_deprovision) override;
  Result<std::string> DirectoryActionJson(uint64_t id) override;
  std::string RoutingStatusJson() override;
  std::string ClusterStatusJson() override;
  void SetRoutingOverride(std::string scope, std::string mode, std::string operator_name,
                          std::string reason, ReadDone done) override;
  void IssueBreakGlassCodes(std::string address_or_id, uint64_t count, ReadDone done) override;

  // The projections applied `applied_index`: answers what waited for it (issued codes).
  void NotifyApplied(uint64_t applied_index);

 private:
  // Runs `read` on the read executor and posts its result to `done`.
  void ReadOffLoop(std::function<Result<std::string>()> read, ReadDone done);
  // Runs `query` off the loop over the mailbox projection, the directory view and the log's
  // bodies.
  void QueryMailboxes(
      std::function<Result<std::string>(const admin::MailboxQueries& queries)> query,
      ReadDone done);
  void RefreshGauges();
  // Runs `then` once the projections applied `index` (now, if they already did).
  void WhenApplied(uint64_t index, std::function<void()> then);

  const config::Config& config_;
  Env& env_;
  Logger& logger_;
  NodeStorage& storage_;
  NodeServices& services_;
  MonoTime started_at_{};
  uint16_t admin_port_ = 0;
  metrics::Registry registry_;
  metrics::NodeMetrics metrics_;
  // Operator-started directory syncs and imports; shared so a late completion can tell the
  // backend is gone (it holds a weak_ptr).
  std::shared_ptr<admin::DirectoryActions> directory_actions_ =
      std::make_shared<admin::DirectoryActions>();
  std::vector<std::pair<uint64_t, std::function<void()>>> applied_waiters_;
  std::unique_ptr<SerialExecutor> reads_;
  // Reads submitted and not yet finished; the executor's tasks decrement it.
  std::shared_ptr<std::atomic<size_t>> reads_queued_ = std::make_shared<std::atomic<size_t>>(0);
};

}  // namespace lifeboat
