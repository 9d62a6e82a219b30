#include "appliance/node.h"

#include <leveldb/env.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "appliance/admin/admin_token.h"
#include "appliance/admin/event_json.h"
#include "appliance/json/json_writer.h"
#include "appliance/node_identity.h"
#include "appliance/projection_list.h"
#include "appliance/version.h"
#include "eventlog/preallocated_wal_env.h"
#include "eventlog/wal_file_system.h"

namespace lifeboat {

namespace {

constexpr std::string_view kComponent = "node";

std::string HostPort(const std::string& host, uint16_t port) {
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return shown + ":" + std::to_string(port);
}

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

Node::Node(const config::Config& config, LibeventEnv& env, Logger& logger)
    : config_(config), env_(env), logger_(logger), metrics_(registry_, kLifeboatVersion) {}

Node::~Node() {
  if (!shut_down_) (void)Shutdown();
}

Result<std::unique_ptr<Node>> Node::Start(const config::Config& config, LibeventEnv& env,
                                          Logger& logger) {
  std::unique_ptr<Node> node(new Node(config, env, logger));
  Status status = node->Open();
  if (!status.ok() && !node->read_only_mode() && node->NoSpaceToOpen(status)) {
    // The disk filled up past the stores' open (a catch-up write, a compaction): start over
    // read-only from the beginning, the way a disk too full to open the log is handled.
    (void)node->Shutdown();
    node.reset(new Node(config, env, logger));
    node->open_read_only_ = true;
    status = node->Open();
  }
  if (!status.ok()) {
    (void)node->Shutdown();
    return status;
  }
  return node;
}

Status Node::Open() {
  started_at_ = env_.MonotonicNow();
  const std::string& data_dir = config_.node.data_dir;
  LB_RETURN_IF_ERROR(CreatePrivateDirectory(data_dir));
  PrepareDiskForOpen();

  eventlog::LogStoreOptions log_options;
  log_options.path = data_dir + "/" + std::string(kLogDirName);
  log_options.env = &env_;  // refills the WAL spare
  auto log = open_read_only_ ? Result<std::unique_ptr<eventlog::LogStore>>(Status::IoError(
                                   "the data dir's disk filled up while it was being opened"))
                             : eventlog::LogStore::Open(log_options);
  if (!log.ok() && (open_read_only_ || NoSpaceToOpen(log.status()))) {
    log_options.leveldb_env = EnterReadOnlyMode(log.status());
    // An injected Env skips the trim a preallocating node's WALs need (log_store.h): done here.
    // Truncating frees space; it needs none.
    Status trimmed = eventlog::TrimWriteAheadLogs(leveldb::Env::Default(),
                                                  eventlog::PosixWalFileSystem(), log_options.path);
    if (!trimmed.ok()) return trimmed;
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

  NodeIdentity identity{config_.node.cluster_id, config_.node.id, kDataDirSchemaVersion};
  LB_RETURN_IF_ERROR(EnsureIdentity(*log_, identity, data_dir));

  projections_ = MakeProjections(config_.smtp.domains);
  eventlog::ProjectionRunnerOptions state_options;
  state_options.path = data_dir + "/" + std::string(kStateDirName);
  state_options.read_ahead_env = &env_;  // a catch-up after downtime reads ahead
  if (read_only_env_) state_options.leveldb_env = read_only_env_.get();
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
  // The in-memory directory comes back from the state, then the state catches up with the log
  // (state writes are not synced, so it may trail after a crash) before anything is served:
  // RCPT checks and the import diff must see everything that is durable.
  LB_RETURN_IF_ERROR(RestoreProjections(projections_, *runner_));

  eventlog::GroupCommitOptions writer_options;
  writer_options.batch_bytes_max =
      static_cast<size_t>(config_.eventlog.group_commit_batch_bytes_max);
  writer_options.admit_batch = [reserve = disk_reserve_.get()](uint64_t first_index, size_t records,
                                                               size_t bytes) {
    return reserve->Admit(first_index, records, bytes);
  };
  writer_ = std::make_unique<eventlog::GroupCommitWriter>(env_, *log_, writer_options);
  writer_->AddDurableListener([this](uint64_t index) { OnDurable(index); });
  proposer_ = std::make_unique<eventlog::SingleNodeProposer>(env_, *writer_, config_.node.id);
  proposer_->AddCommitListener([this](uint64_t index) { OnCommitted(index); });

  // The state may trail what is committed (state writes are not synced), and RCPT checks and the
  // import diff must see all of it: catch up before anything is served. Never past the commit
  // index: under Raft the log's tail may not be committed yet.
  Status caught_up = runner_->ApplyThrough(*log_, proposer_->commit_index());
  if (!caught_up.ok()) {
    return Status(caught_up.code(), "projections cannot fold the log: " + caught_up.message() +
                                        " (`lifeboat rebuild` rebuilds the state)");
  }

  // The refusal is posted, maybe after the node is gone: it holds the logger, which outlives it.
  auto on_nice_refused = [&logger = logger_](Status refusal) {
    logger.Warn(kComponent,
                "projection thread kept at normal priority (setpriority refused): under "
                "load it competes with ingest for the CPU",
                {{"nice", int64_t{kProjectionNice}}, {"error", refusal.ToString()}});
  };
  worker_ = std::make_unique<eventlog::ProjectionWorker>(
      env_, *runner_, *log_, [this](Result<uint64_t> applied) { OnApplied(std::move(applied)); },
      eventlog::ProjectionWorkerOptions{.linger = kProjectionLinger,
                                        .nice = kProjectionNice,
                                        .on_nice_refused = std::move(on_nice_refused)});
  worker_->Start();
  worker_->NotifyCommitted(proposer_->commit_index());

  auto token =
      admin::LoadOrCreateAdminToken(data_dir + "/" + std::string(admin::kAdminTokenFileName), env_);
  if (!token.ok()) return token.status();
  admin_token_ = std::move(token).value();
  admin_router_ = std::make_unique<admin::AdminRouter>(*this, admin_token_);
  auto server =
      admin::AdminServer::Start(env_, config_.admin.host, config_.admin.port, *admin_router_);
  if (!server.ok()) return server.status();
  admin_server_ = std::move(server).value();

  directory_service_ =
      std::make_unique<DirectoryService>(config_.directory, env_, logger_, *proposer_,
                                         *projections_.directory_view, *projections_.directory);
  LB_RETURN_IF_ERROR(directory_service_->Start());
  if (config_.mailbox.retention_days > 0) {
    retention_ = std::make_unique<RetentionJob>(
        env_, logger_, *runner_, *proposer_, static_cast<uint32_t>(config_.mailbox.retention_days));
    retention_->Start();
  }
  if (config_.smtp.enabled) {
    auto smtp = smtp_driver::SmtpService::Start(config_, env_, *proposer_,
                                                *projections_.directory_view, *disk_reserve_);
    if (!smtp.ok()) {
      return Status(smtp.status().code(), "SMTP listener: " + smtp.status().message());
    }
    smtp_ = std::move(smtp).value();
  }

  StartDiskChecks();
  RefreshGauges();
  logger_.Info(kComponent, "started",
               {{"node_id", config_.node.id},
                {"cluster_id", config_.node.cluster_id},
                {"version", kLifeboatVersion},
                {"data_dir", data_dir},
                {"admin", HostPort(config_.admin.host, admin_server_->port())},
                {"smtp", smtp_address()},
                {"log_last_index", log_->last_index()},
                {"applied_index", runner_->applied_index()}});
  return Status::Ok();
}

void Node::OnDurable(uint64_t durable_last_index) {
  metrics_.log_last_index->Set(static_cast<double>(durable_last_index));
}

void Node::OnCommitted(uint64_t commit_index) {
  if (worker_) worker_->NotifyCommitted(commit_index);
}

void Node::OnApplied(Result<uint64_t> applied_index) {
  if (!applied_index.ok()) {
    projection_error_ = applied_index.status();
    logger_.Error(kComponent, "projections stopped",
                  {{"error", applied_index.status().ToString()}});
    return;
  }
  if (disk_reserve_) disk_reserve_->NoteApplied(*applied_index);
  RefreshGauges();
  if (admin_server_) admin_server_->NotifyApplied(*applied_index);
}

uint64_t Node::CommitIndex() {
  return proposer_->commit_index();
}

uint64_t Node::LogLastIndex() {
  return log_->last_index();
}

uint64_t Node::ProjectionAppliedIndex() {
  return runner_->applied_index();
}

void Node::RefreshGauges() {
  if (!log_ || !runner_) return;
  metrics_.log_last_index->Set(static_cast<double>(log_->last_index()));
  if (proposer_) {
    metrics_.projection_lag_events->Set(
        static_cast<double>(runner_->lag(proposer_->commit_index())));
  }
  metrics_.wal_files_preallocated->Set(log_->preallocated_wal_files());
  metrics_.wal_files_plain->Set(log_->plain_wal_files());
  if (writer_) metrics_.LoadGroupCommitStats(writer_->stats());
  if (smtp_) {
    const auto& stats = smtp_->server().stats();
    metrics_.smtp_messages_committed->Set(stats.messages_committed);
    metrics_.smtp_messages_failed->Set(stats.messages_failed);
    metrics_.smtp_sessions_refused->Set(stats.sessions_refused);
    metrics_.smtp_sessions_open->Set(static_cast<double>(smtp_->server().open_sessions()));
  }
  if (disk_reserve_) {
    const DiskFigures disk = disk_reserve_->figures();
    metrics_.disk_free_bytes->Set(static_cast<double>(disk.free_bytes));
    metrics_.disk_reserve_refusing->Set(disk.accepting ? 0 : 1);
    metrics_.disk_ballast_present->Set(ballast_->present() ? 1 : 0);
  }
  if (directory_service_) {
    metrics_.directory_entries->Set(static_cast<double>(projections_.directory_view->size()));
    DirectoryService::Health health = directory_service_->health(env_.WallNow());
    metrics_.directory_last_sync_age_seconds->Set(health.last_success_age_seconds);
    metrics_.directory_sync_failing->Set(health.failing ? 1 : 0);
  }
}

void Node::BeginDrain(std::function<void()> drained) {
  drained_ = std::move(drained);
  if (smtp_) smtp_->StopAccepting();
  if (directory_service_) directory_service_->Stop();
  if (retention_) retention_->Stop();
  drain_deadline_ = env_.MonotonicNow() + kDrainTimeout;
  CheckDrained();
}

void Node::CheckDrained() {
  const bool in_flight = smtp_ != nullptr && smtp_->server().stats().messages_proposed >
                                                 smtp_->server().stats().messages_committed +
                                                     smtp_->server().stats().messages_failed;
  if (in_flight && env_.MonotonicNow() < drain_deadline_) {
    drain_timer_ = env_.StartTimer(kDrainPollInterval, [this] { CheckDrained(); });
    return;
  }
  // One more poll interval lets the last replies leave the socket buffers.
  drain_timer_ = env_.StartTimer(kDrainPollInterval, [this] {
    if (drained_) drained_();
  });
}

Status Node::ReloadTls() {
  if (smtp_ == nullptr) return Status::FailedPrecondition("no TLS listener configured");
  Status reloaded = smtp_->ReloadTls();
  if (reloaded.ok()) {
    logger_.Info(kComponent, "TLS certificate reloaded", {});
  } else {
    logger_.Error(kComponent, "TLS reload failed; the old certificate keeps serving",
                  {{"error", reloaded.ToString()}});
  }
  return reloaded;
}

Status Node::Shutdown() {
  if (shut_down_) return Status::Ok();
  shut_down_ = true;
  env_.CancelTimer(drain_timer_);
  if (admin_server_) admin_server_->Stop();
  if (smtp_) smtp_->StopAccepting();
  if (directory_service_) directory_service_->Stop();
  // Every queued proposal gets its callback: the writer writes what is queued, posts the
  // results, and we run them here since the loop has stopped.
  if (writer_) writer_->Shutdown();
  env_.RunPending();
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
  env_.RunPending();
  uint64_t last = log_ ? log_->last_index() : 0;
  uint64_t applied = runner_ ? runner_->applied_index() : 0;
  // Sessions and syncs hold the proposer: they go before it.
  smtp_.reset();
  retention_.reset();
  directory_service_.reset();
  proposer_.reset();
  worker_.reset();
  writer_.reset();
  admin_server_.reset();
  runner_.reset();
  log_.reset();
  disk_reserve_.reset();  // its periodic check calls back into the node
  if (admin_router_) {
    logger_.Info(kComponent, "stopped", {{"log_last_index", last}, {"applied_index", applied}});
  }
  return result;
}

std::string Node::StatusJson() {
  RefreshGauges();
  uint64_t first = log_->first_index();
  uint64_t last = log_->last_index();
  uint64_t committed = proposer_->commit_index();
  uint64_t applied = runner_->applied_index();
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(env_.MonotonicNow() - started_at_);
  std::string listeners =
      json::ObjectWriter()
          .String("admin", HostPort(config_.admin.host, admin_server_ ? admin_server_->port() : 0))
          .String("smtp", smtp_address())
          .Finish();
  json::ObjectWriter writer;
  writer
      .Bool("running", true)  // `lifeboat status` on a stopped data dir says false
      .String("node_id", config_.node.id)
      .String("cluster_id", config_.node.cluster_id)
      .String("version", kLifeboatVersion)
      .Int("uptime_seconds", uptime.count())
      .Uint("log_first_index", first)
      .Uint("log_last_index", last)
      .Uint("commit_index", committed)
      .Uint("projection_applied_index", applied)
      .Uint("projection_lag", runner_->lag(committed))
      .String("data_dir", config_.node.data_dir)
      .Raw("listeners", listeners)
      .Raw("log_wal_files", json::ObjectWriter()
                                .Uint("preallocated", log_->preallocated_wal_files())
                                .Uint("plain", log_->plain_wal_files())
                                .Finish())
      .Bool("read_only", writer_ == nullptr || writer_->read_only() || read_only_env_ != nullptr);
  writer.Raw("disk", DiskJson());
  if (directory_service_) writer.Raw("directory", directory_service_->StatusJson(env_.WallNow()));
  if (smtp_) {
    const auto& stats = smtp_->server().stats();
    writer.Raw("smtp", json::ObjectWriter()
                           .Uint("sessions_open", smtp_->server().open_sessions())
                           .Uint("sessions_accepted", stats.sessions_accepted)
                           .Uint("sessions_refused", stats.sessions_refused)
                           .Uint("messages_committed", stats.messages_committed)
                           .Uint("messages_failed", stats.messages_failed)
                           .Uint("disk_free_bytes", disk_reserve_->figures().free_bytes)
                           .Bool("disk_reserve_ok", disk_reserve_->AcceptsNewMail())
                           .Finish());
  }
  if (projection_error_.has_value())
    writer.String("projection_error", projection_error_->ToString());
  return writer.Finish();
}

std::string Node::MetricsText() {
  RefreshGauges();
  return registry_.Render();
}

Result<std::string> Node::LogJson(uint64_t from, uint64_t count) {
  uint64_t last = log_->last_index();
  if (from > last) return std::string();  // nothing there yet: an empty page, not an error
  uint64_t through = count - 1 > last - from ? last : from + count - 1;
  // A bounded read on the loop thread: LogStore reads are thread-safe next to the writer, and a
  // page of at most kAdminLogReadBytesMax is a few milliseconds at worst.
  auto records = log_->Read(from, through, kAdminLogReadBytesMax);
  if (!records.ok()) return records.status();
  std::string out;
  for (const auto& record : *records) {
    auto json = admin::RecordToJson(record);
    if (!json.ok()) return json.status();
    out += *json;
    out.push_back('\n');
  }
  return out;
}

}  // namespace lifeboat
