#pragma once
// A node's storage (DESIGN.md "The shape", "Storage"): what lives in its data dir, opened and
// closed as one.
//   <data_dir>/log/      LogStore on its preallocated WAL (identity in meta "identity")
//   <data_dir>/state/    ProjectionRunner with the node's projections (projection_list.h)
//   <data_dir>/BALLAST   space kept to start on a full disk (ballast.h)
// plus the GroupCommitWriter and SingleNodeProposer in front of the log, the ProjectionWorker that
// folds what is committed into the state, and the disk reserve that the writer and SMTP consult.
//
// Replication: the proposer is the one seam. Everything above this class (services, the admin
// backend) sees eventlog::Proposer, the commit index and the StateReader; under Raft, Open builds
// the Raft proposer in place of the SingleNodeProposer (marked "Raft:" in node_storage.cc) and
// the commit listener, which already feeds the worker, stays as it is.
//
// The disk: NodeStorageOptions names the leveldb::Env and WAL file layer to open the stores on
// (the real ones by default), so that the power-cut test and the simulator run this same code
// on a fault-injection or in-memory disk. Everything else it needs comes through `env` (timers,
// executors, posting): no libevent, sockets or real clocks here.
//
// A disk too full to open the stores for writing: they open read-only over an overlay
// (read_only_overlay_env.h); every append is refused, reads are served, and once space returns
// the owner is asked to reopen (OnReopenWanted).
//
// Threading: loop thread, except applied_index() (any thread) and the reads of log() and state(),
// which are thread-safe (log_store.h, projection_runner.h). The owner calls Shutdown() once the
// loop has stopped, after the services that hold proposer() stopped proposing.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/ballast.h"
#include "appliance/disk_reserve.h"
#include "appliance/env/env.h"
#include "appliance/env/network.h"
#include "appliance/env/status.h"
#include "appliance/log/logger.h"
#include "appliance/node_identity.h"
#include "appliance/projection_list.h"
#include "eventlog/group_commit.h"
#include "eventlog/log_store.h"
#include "eventlog/projection_runner.h"
#include "eventlog/projection_worker.h"
#include "eventlog/proposer.h"
#include "eventlog/raft/raft_storage.h"
#include "eventlog/read_only_overlay_env.h"
#include "eventlog/single_node_proposer.h"

namespace leveldb {
class Env;
class Status;
}  // namespace leveldb

namespace lifeboat {

namespace eventlog {
class WalFileSystem;
namespace raft {
class LogStoreRaftStorage;
class RaftNode;
class RaftStateMachine;
class TcpRaftTransport;
}  // namespace raft
}  // namespace eventlog

inline constexpr std::string_view kLogDirName = "log";
inline constexpr std::string_view kStateDirName = "state";
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

// A node of a Raft cluster (config [cluster], issue #13): the log's records are Raft entries
// (eventlog/raft/log_store_raft_storage.h), proposals go through a RaftNode over TCP with mutual
// TLS, and the commit index is Raft's. The log is never compacted behind a snapshot yet (no
// snapshot is taken: the projection checkpoints of issue #13 item 2 are not built), so a lagging
// follower catches up from the leader's log.
struct NodeClusterOptions {
  uint64_t node_id = 0;
  std::string listen;                               // numeric host:port
  std::vector<eventlog::raft::RaftServer> members;  // the founding configuration, this node in it
  ClusterTlsFiles tls;
};

struct NodeStorageOptions {
  std::string data_dir;  // absolute; created 0700 with its parents on the real disk
  NodeIdentity identity;
  std::vector<std::string> accepted_domains;  // the projections' ([smtp] domains)
  uint64_t disk_reserve_bytes = 0;            // 0: no reserve (disk_reserve.h)
  uint64_t disk_ballast_bytes = 0;            // 0: no ballast (ballast.h)

  // The disk the stores open on. Null: the real one (eventlog::DefaultLevelDbEnv(), POSIX WAL
  // files, fsync of directories). An injected Env must come with its WAL file layer for the
  // preallocated WAL (log_store.h), and with its directory sync to make renames durable in its
  // crash model; both must outlive the storage.
  leveldb::Env* leveldb_env = nullptr;
  eventlog::WalFileSystem* wal_file_system = nullptr;
  std::function<leveldb::Status(const std::string& directory)> sync_directory;
  // The free bytes of the data dir's file system, and the bytes its stores take (disk_reserve.h).
  // Null: statvfs(2) and stat(2) of the real files.
  DiskReserve::FreeBytesFunction free_bytes;
  DiskReserve::StoreBytesFunction store_bytes;

  // Tuning, as in each component's header; paths, Envs and hooks are filled in by Open.
  eventlog::LogStoreOptions log;
  eventlog::ProjectionRunnerOptions state;
  eventlog::GroupCommitOptions group_commit;
  eventlog::ProjectionWorkerOptions projection_worker{
      .linger = kProjectionLinger, .nice = kProjectionNice, .on_nice_refused = nullptr};

  // Set: a cluster node (NodeClusterOptions); unset: a single node, as before.
  std::optional<NodeClusterOptions> cluster;
};

class NodeStorage {
 public:
  // Opens (creating on first start) the stores, checks the identity, restores the in-memory views,
  // catches the state up to the commit index, starts the writer, the worker and the disk checks.
  // On a disk too full to open for writing, opens read-only (read_only()). `env` and `logger`
  // must outlive the storage. Errors name the store and what failed (identity mismatch, locked
  // log, corrupt state).
  static Result<std::unique_ptr<NodeStorage>> Open(NodeStorageOptions options, Env& env,
                                                   Logger& logger);
  ~NodeStorage();
  NodeStorage(const NodeStorage&) = delete;
  NodeStorage& operator=(const NodeStorage&) = delete;

  // Hooks, loop thread. After each folded batch (the index is applied everywhere).
  void AddAppliedListener(std::function<void(uint64_t applied_index)> listener);
  // The projections stopped on an error (projection_error() holds it from then on).
  void OnProjectionError(std::function<void(const Status& error)> stopped) {
    projection_stopped_ = std::move(stopped);
  }
  // The disk reserve turned from accepting to refusing or back.
  void OnDiskChanged(std::function<void()> changed) { disk_changed_ = std::move(changed); }
  // Opened read-only on a full disk: `reopen` runs once, on the loop thread, when space has
  // returned; the owner then shuts this storage down and opens it again (cli/serve_command.cc).
  void OnReopenWanted(std::function<void()> reopen) { reopen_ = std::move(reopen); }

  // Proposals go here. Raft: the Raft proposer, behind the same interface.
  eventlog::Proposer& proposer() { return *proposer_; }
  // Committed through this index: durable here; a quorum's under Raft. Projections, status waits
  // and `--wait-applied` follow it, never log().last_index().
  uint64_t commit_index() const { return proposer_->commit_index(); }
  // Every projection has folded the log through this index. Any thread.
  uint64_t applied_index() const { return runner_->applied_index(); }
  const eventlog::StateReader& state() const { return *runner_; }
  const eventlog::ProjectionRunner& runner() const { return *runner_; }
  const eventlog::LogStore& log() const { return *log_; }
  const eventlog::GroupCommitWriter& writer() const { return *writer_; }
  // The in-memory directory (RCPT checks, list expansion) and the projection that keeps it.
  NodeProjections& projections() { return projections_; }
  const NodeProjections& projections() const { return projections_; }
  // What SMTP asks before accepting mail (a StorageGuard) and what status shows.
  DiskReserve& disk_reserve() { return *disk_reserve_; }
  const Ballast& ballast() const { return *ballast_; }
  // Opened on a read-only overlay, or the writer refuses appends.
  bool read_only() const;
  // The error that stopped the projections, if any (the log is safe).
  const std::optional<Status>& projection_error() const { return projection_error_; }
  // The "disk" object of /v1/status.
  std::string DiskJson() const;
  // What the log's records hold: events (single node) or Raft entries (cluster).
  eventlog::LogPayloadFormat log_payload_format() const {
    return options_.cluster.has_value() ? eventlog::LogPayloadFormat::kRaftEntry
                                        : eventlog::LogPayloadFormat::kEvent;
  }
  // The Raft member, on a cluster node; null on a single node.
  const eventlog::raft::RaftNode* raft_node() const { return raft_node_.get(); }
  // The cluster listener's bound address ("" on a single node).
  std::string cluster_address() const;

  // The loop has stopped. Drains the writer (every queued proposal gets its callback), stops the
  // worker and folds what is committed, so that the next start begins caught up; `run_posted`
  // runs what they posted to the loop (LibeventEnv::RunPending, ManualEnv::RunPosted). The stores
  // stay open for reads until the storage is destroyed. Idempotent. Errors: the projections could
  // not catch up (the state is rebuilt at the next start or with `lifeboat rebuild`).
  Status Shutdown(const std::function<void()>& run_posted);

 private:
  NodeStorage(NodeStorageOptions options, Env& env, Logger& logger);
  Status OpenStores();
  Status OpenLog();
  Status OpenState();
  Status StartWriterAndWorker();
  // Cluster: the Raft member on the log and its proposer (node_storage_raft.cc).
  Status StartRaft();
  void CloseRaft(const std::function<void()>& run_posted);
  void OnApplied(Result<uint64_t> applied_index);
  std::vector<std::string> StoreDirs() const;
  leveldb::Env* BaseLevelDbEnv() const;
  // Disk reserve and ballast (node_storage_disk.cc). Before the stores open: releases the ballast
  // when the free space is below what opening needs. After: starts the periodic check.
  void PrepareDiskForOpen();
  void StartDiskChecks();
  void OnDiskAccepting(bool accepting, const DiskFigures& figures);
  void KeepBallast();
  // After a store failed to open: whether the disk's lack of space is why.
  bool NoSpaceToOpen(const Status& failure) const;
  // Switches to read-only (creates read_only_env_, refuses every append) and returns the Env the
  // stores open on.
  leveldb::Env* EnterReadOnlyMode(const Status& failure);
  // Read-only: once the disk could take a writable open, asks the owner (OnReopenWanted) once.
  void MaybeRequestReopen();

  NodeStorageOptions options_;
  Env& env_;
  Logger& logger_;
  NodeProjections projections_;
  // Consulted by the writer before each batch: declared before it, destroyed after it.
  std::unique_ptr<DiskReserve> disk_reserve_;
  std::unique_ptr<Ballast> ballast_;
  bool ballast_released_at_start_ = false;
  // Set when the disk had no room to open the stores for writing: they are opened on it, and it
  // outlives them (read_only_overlay_env.h).
  std::unique_ptr<eventlog::ReadOnlyOverlayEnv> read_only_env_;
  bool open_read_only_ = false;  // Open's second try, after a write failed for space
  std::function<void()> reopen_;
  bool reopen_requested_ = false;
  std::function<void()> disk_changed_;
  std::function<void(const Status&)> projection_stopped_;
  std::vector<std::function<void(uint64_t)>> applied_listeners_;
  // Declaration order is teardown order reversed: the writer and worker stop before the stores
  // they use close.
  std::unique_ptr<eventlog::LogStore> log_;
  std::unique_ptr<eventlog::ProjectionRunner> runner_;
  std::unique_ptr<eventlog::GroupCommitWriter> writer_;
  // Cluster only: the Raft member and what it stands on. The node goes before the proposer that
  // listens to it, and before its storage, transport and TLS.
  std::unique_ptr<ClusterTls> cluster_tls_;
  std::unique_ptr<eventlog::raft::LogStoreRaftStorage> raft_storage_;
  std::unique_ptr<eventlog::raft::TcpRaftTransport> raft_transport_;
  std::unique_ptr<eventlog::raft::RaftStateMachine> raft_machine_;
  std::unique_ptr<eventlog::Proposer> proposer_;
  std::unique_ptr<eventlog::raft::RaftNode> raft_node_;
  std::unique_ptr<eventlog::ProjectionWorker> worker_;
  std::optional<Status> projection_error_;
  bool shut_down_ = false;
};

// Creates `path` (and missing parents) with mode 0700; an existing directory is kept as is.
Status CreatePrivateDirectory(const std::string& path);

}  // namespace lifeboat
