#include "appliance/node_storage.h"

#include <leveldb/env.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "eventlog/leveldb_env.h"
#include "eventlog/preallocated_wal_env.h"
#include "eventlog/raft/log_store_raft_storage.h"
#include "eventlog/raft/raft_node.h"
#include "eventlog/raft/tcp_raft_transport.h"
#include "eventlog/wal_file_system.h"

namespace lifeboat {

namespace {

constexpr std::string_view kComponent = "node";

}  // namespace

Status CreatePrivateDirectory(const std::string& path) {
  LB_CHECK(!path.empty() && path.front() == '/');
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    std::string prefix = slash == std::string::npos ? path : path.substr(0, slash);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::IoError("cannot create directory " + prefix + ": " + std::strerror(errno));
    }
    if (slash == std::string::npos) break;
  }
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return Status::IoError(path + " is not a directory");
  }
  return Status::Ok();
}

NodeStorage::NodeStorage(NodeStorageOptions options, Env& env, Logger& logger)
    : options_(std::move(options)), env_(env), logger_(logger) {
  LB_CHECK(options_.leveldb_env != nullptr || options_.wal_file_system == nullptr);
  LB_CHECK(options_.leveldb_env == nullptr || options_.sync_directory != nullptr);
}

NodeStorage::~NodeStorage() {
  // Without Shutdown: what the writer and worker posted is dropped with the Env's queue.
  if (!shut_down_) (void)Shutdown([] {});
}

Result<std::unique_ptr<NodeStorage>> NodeStorage::Open(NodeStorageOptions options, Env& env,
                                                       Logger& logger) {
  std::unique_ptr<NodeStorage> storage(new NodeStorage(options, env, logger));
  Status status = storage->OpenStores();
  if (!status.ok() && !storage->read_only() && storage->NoSpaceToOpen(status)) {
    // The disk filled up past the stores' open (a catch-up write, a compaction): start over
    // read-only from the beginning, the way a disk too full to open the log is handled.
    (void)storage->Shutdown([] {});
    storage.reset(new NodeStorage(std::move(options), env, logger));
    storage->open_read_only_ = true;
    status = storage->OpenStores();
  }
  if (!status.ok()) {
    (void)storage->Shutdown([] {});
    return status;
  }
  return storage;
}

std::vector<std::string> NodeStorage::StoreDirs() const {
  return {options_.data_dir + "/" + std::string(kLogDirName),
          options_.data_dir + "/" + std::string(kStateDirName)};
}

leveldb::Env* NodeStorage::BaseLevelDbEnv() const {
  return options_.leveldb_env != nullptr ? options_.leveldb_env : eventlog::DefaultLevelDbEnv();
}

Status NodeStorage::OpenStores() {
  if (options_.leveldb_env == nullptr) {
    LB_RETURN_IF_ERROR(CreatePrivateDirectory(options_.data_dir));
  } else {
    // An injected disk makes its own directories; LevelDB creates only the last level.
    (void)options_.leveldb_env->CreateDir(options_.data_dir);
  }
  PrepareDiskForOpen();
  LB_RETURN_IF_ERROR(OpenLog());
  LB_RETURN_IF_ERROR(EnsureIdentity(*log_, options_.identity, options_.data_dir));
  LB_RETURN_IF_ERROR(OpenState());
  LB_RETURN_IF_ERROR(StartWriterAndWorker());
  StartDiskChecks();
  return Status::Ok();
}

Status NodeStorage::OpenLog() {
  eventlog::LogStoreOptions log_options = options_.log;
  log_options.path = StoreDirs()[0];
  log_options.leveldb_env = options_.leveldb_env;
  log_options.wal_file_system = options_.wal_file_system;
  log_options.sync_directory = options_.sync_directory;
  log_options.env = &env_;  // refills the WAL spare
  auto log = open_read_only_ ? Result<std::unique_ptr<eventlog::LogStore>>(Status::IoError(
                                   "the data dir's disk filled up while it was being opened"))
                             : eventlog::LogStore::Open(log_options);
  if (!log.ok() && (open_read_only_ || NoSpaceToOpen(log.status()))) {
    log_options.leveldb_env = EnterReadOnlyMode(log.status());
    log_options.wal_file_system = nullptr;  // the overlay's WALs are ordinary files in memory
    // An injected Env skips the trim a preallocating node's WALs need (log_store.h): done here.
    // Truncating frees space; it needs none.
    eventlog::WalFileSystem* files = options_.wal_file_system != nullptr
                                         ? options_.wal_file_system
                                         : eventlog::PosixWalFileSystem();
    leveldb::Env* base =
        options_.leveldb_env != nullptr ? options_.leveldb_env : leveldb::Env::Default();
    LB_RETURN_IF_ERROR(eventlog::TrimWriteAheadLogs(base, files, log_options.path));
    log = eventlog::LogStore::Open(log_options);
  }
  if (!log.ok()) {
    // LevelDB reports a held LOCK file as "lock ...: already held by process" (or EAGAIN).
    const std::string& why = log.status().message();
    const bool locked = why.find("lock") != std::string::npos;
    return Status(log.status().code(),
                  "cannot open the log " + log_options.path + ": " + why +
                      (locked ? " (is another lifeboat running on this data dir?)" : ""));
  }
  log_ = std::move(log).value();
  return Status::Ok();
}

Status NodeStorage::OpenState() {
  projections_ = MakeProjections(options_.accepted_domains);
  eventlog::ProjectionRunnerOptions state_options = options_.state;
  state_options.path = StoreDirs()[1];
  state_options.read_ahead_env = &env_;  // a catch-up after downtime reads ahead
  state_options.format = log_payload_format();
  state_options.leveldb_env =
      read_only_env_ != nullptr ? read_only_env_.get() : options_.leveldb_env;
  auto runner = eventlog::ProjectionRunner::Open(state_options, projections_.pointers());
  if (!runner.ok() && !read_only_env_ && NoSpaceToOpen(runner.status())) {
    state_options.leveldb_env = EnterReadOnlyMode(runner.status());
    runner = eventlog::ProjectionRunner::Open(state_options, projections_.pointers());
  }
  if (!runner.ok()) {
    return Status(runner.status().code(), "cannot open the state " + state_options.path + ": " +
                                              runner.status().message() +
                                              " (`lifeboat rebuild` rebuilds it from the log)");
  }
  runner_ = std::move(runner).value();
  // The in-memory directory comes back from the state before anything is served.
  return RestoreProjections(projections_, *runner_);
}

Status NodeStorage::StartWriterAndWorker() {
  eventlog::GroupCommitOptions writer_options = options_.group_commit;
  writer_options.admit_batch = [reserve = disk_reserve_.get()](uint64_t first_index, size_t records,
                                                               size_t bytes) {
    return reserve->Admit(first_index, records, bytes);
  };
  writer_ = std::make_unique<eventlog::GroupCommitWriter>(env_, *log_, writer_options);
  if (options_.cluster.has_value()) {
    // The Raft proposer on the same log; the commit listener below stays.
    LB_RETURN_IF_ERROR(StartRaft());
  } else {
    proposer_ =
        std::make_unique<eventlog::SingleNodeProposer>(env_, *writer_, options_.identity.node_id);
  }

  // The state may trail what is committed (state writes are not synced), and RCPT checks and the
  // import diff must see all of it: catch up before anything is served. Never past the commit
  // index: under Raft the log's tail may not be committed yet.
  Status caught_up = runner_->ApplyThrough(*log_, proposer_->commit_index());
  if (!caught_up.ok()) {
    return Status(caught_up.code(), "projections cannot fold the log: " + caught_up.message() +
                                        " (`lifeboat rebuild` rebuilds the state)");
  }

  eventlog::ProjectionWorkerOptions worker_options = options_.projection_worker;
  if (worker_options.nice != 0 && worker_options.on_nice_refused == nullptr) {
    // Posted, maybe after the storage is gone: it holds the logger, which outlives it.
    worker_options.on_nice_refused = [&logger = logger_,
                                      nice = worker_options.nice](Status refusal) {
      logger.Warn(kComponent,
                  "projection thread kept at normal priority (setpriority refused): under "
                  "load it competes with ingest for the CPU",
                  {{"nice", int64_t{nice}}, {"error", refusal.ToString()}});
    };
  }
  worker_ = std::make_unique<eventlog::ProjectionWorker>(
      env_, *runner_, *log_, [this](Result<uint64_t> applied) { OnApplied(std::move(applied)); },
      std::move(worker_options));
  proposer_->AddCommitListener([this](uint64_t commit_index) {
    if (worker_) worker_->NotifyCommitted(commit_index);
  });
  worker_->Start();
  worker_->NotifyCommitted(proposer_->commit_index());
  return Status::Ok();
}

void NodeStorage::AddAppliedListener(std::function<void(uint64_t)> listener) {
  applied_listeners_.push_back(std::move(listener));
}

bool NodeStorage::read_only() const {
  return read_only_env_ != nullptr || (writer_ != nullptr && writer_->read_only());
}

void NodeStorage::OnApplied(Result<uint64_t> applied_index) {
  if (!applied_index.ok()) {
    projection_error_ = applied_index.status();
    logger_.Error(kComponent, "projections stopped",
                  {{"error", applied_index.status().ToString()}});
    if (projection_stopped_) projection_stopped_(*projection_error_);
    return;
  }
  disk_reserve_->NoteApplied(*applied_index);
  for (const auto& listener : applied_listeners_) listener(*applied_index);
}

Status NodeStorage::Shutdown(const std::function<void()>& run_posted) {
  if (shut_down_) return Status::Ok();
  shut_down_ = true;
  // Every queued proposal gets its callback: the writer writes what is queued and posts the
  // results, which run here since the loop has stopped.
  if (writer_) writer_->Shutdown();
  CloseRaft(run_posted);
  run_posted();
  Status result = Status::Ok();
  if (worker_) worker_->Stop();
  // The worker is joined: this thread is now the runner's only user. Fold what is committed, so
  // the next start (and `status` after it) begins caught up.
  if (runner_ && log_ && proposer_ && !projection_error_.has_value()) {
    result = runner_->ApplyThrough(*log_, proposer_->commit_index());
    if (!result.ok()) {
      logger_.Error(kComponent, "projections could not catch up", {{"error", result.ToString()}});
    }
  }
  run_posted();
  // The reserve's periodic check calls back until the storage is destroyed: nobody listens now.
  disk_changed_ = nullptr;
  reopen_ = nullptr;
  return result;
}

}  // namespace lifeboat
