#include "simulator/sim_node.h"

#include <utility>

#include "appliance/config/config.h"
#include "appliance/env/check.h"
#include "eventlog/events.pb.h"

namespace lifeboat::simulator {

// The disk reserve's check (appliance/disk_reserve.h), on the simulated disk's free bytes.
class SimNode::DiskGuard final : public smtp_driver::StorageGuard {
 public:
  DiskGuard(SimDisk& disk, uint64_t reserve_bytes) : disk_(disk), reserve_bytes_(reserve_bytes) {}
  bool AcceptsNewMail() const override {
    uint64_t free_bytes = 0;
    return disk_.files()->FreeBytes(disk_.root(), &free_bytes).ok() && free_bytes >= reserve_bytes_;
  }

 private:
  SimDisk& disk_;
  const uint64_t reserve_bytes_;
};

SimNode::SimNode(World& world, SimNetwork& network, SimNodeOptions options)
    : world_(world),
      network_(network),
      options_(std::move(options)),
      env_(world, options_.name),
      disk_(world, "/" + options_.name),
      guard_(std::make_unique<DiskGuard>(disk_, options_.disk_reserve_bytes)) {
  env_.set_network(&network_.node(options_.host));
}

SimNode::~SimNode() {
  Teardown();
  env_.Halt();
}

std::string SimNode::smtp_address() const {
  return options_.host + ":" + std::to_string(options_.smtp_port);
}

uint64_t SimNode::commit_index() const {
  return proposer_ != nullptr ? proposer_->commit_index() : 0;
}

Status SimNode::Start() {
  LB_CHECK(!running());
  ++starts_;
  eventlog::LogStoreOptions log_options;
  log_options.path = disk_.root() + "/log";
  log_options.leveldb_env = disk_.env();
  log_options.wal_file_system = disk_.files();
  log_options.sync_directory = [this](const std::string& directory) {
    return disk_.SyncDirectory(directory);
  };
  log_options.write_buffer_bytes = options_.log_write_buffer_bytes;
  log_options.wal_spare_bytes = kWalSpareBytes;
  log_options.env = &env_;
  Result<std::unique_ptr<eventlog::LogStore>> log = eventlog::LogStore::Open(log_options);
  disk_.RunScheduled();
  if (!log.ok()) return log.status();
  log_ = std::move(log).value();

  projections_ = MakeProjections(options_.domains);
  eventlog::ProjectionRunnerOptions state_options;
  state_options.path = disk_.root() + "/state";
  state_options.leveldb_env = disk_.env();
  state_options.read_ahead_env = &env_;
  Result<std::unique_ptr<eventlog::ProjectionRunner>> runner =
      eventlog::ProjectionRunner::Open(state_options, projections_.pointers());
  disk_.RunScheduled();
  if (!runner.ok()) return runner.status();
  runner_ = std::move(runner).value();
  LB_RETURN_IF_ERROR(RestoreProjections(projections_, *runner_));

  eventlog::GroupCommitOptions writer_options;
  // One batch stays under the memtable, so one event never switches memtables twice (sim_disk.h).
  writer_options.batch_bytes_max = options_.log_write_buffer_bytes / 2;
  writer_options.acknowledge_before_sync_for_tests = options_.acknowledge_before_sync_for_tests;
  writer_ = std::make_unique<eventlog::GroupCommitWriter>(env_, *log_, writer_options);
  proposer_ = std::make_unique<eventlog::SingleNodeProposer>(env_, *writer_, options_.name);
  // On one node every durable record is committed: catch up to it before serving.
  Status caught_up = runner_->ApplyThrough(*log_, proposer_->commit_index());
  disk_.RunScheduled();
  LB_RETURN_IF_ERROR(caught_up);
  worker_ = std::make_unique<eventlog::ProjectionWorker>(
      env_, *runner_, *log_, [this](Result<uint64_t> applied) {
        if (!applied.ok() && !disk_.faults().crashed()) {
          worker_errors_.push_back(applied.status().ToString());
        }
      });
  eventlog::ProjectionWorker* worker = worker_.get();
  proposer_->AddCommitListener([worker](uint64_t index) { worker->NotifyCommitted(index); });
  worker_->Start();
  worker_->NotifyCommitted(proposer_->commit_index());

  if (log_->last_index() == 0) LB_RETURN_IF_ERROR(ProvisionMailboxes());

  config::Config config;
  config.node.id = options_.name;
  config.smtp.enabled = true;
  config.smtp.listen = smtp_address();
  config.smtp.hostname = options_.name + ".sim";
  config.smtp.domains = options_.domains;
  config.smtp.message_interval_per_ip_ms = 0;  // senders share few addresses: no rate limit
  config.smtp.disk_reserve_bytes = static_cast<int64_t>(options_.disk_reserve_bytes);
  Result<std::unique_ptr<smtp_driver::SmtpService>> smtp = smtp_driver::SmtpService::Start(
      config, env_, *proposer_, *projections_.directory_view, *guard_);
  if (!smtp.ok()) return smtp.status();
  smtp_ = std::move(smtp).value();
  return Status::Ok();
}

Status SimNode::ProvisionMailboxes() {
  const std::string& domain = options_.domains.front();
  size_t answered = 0;
  Status failure = Status::Ok();
  for (int i = 0; i < options_.mailboxes; ++i) {
    const std::string id = "user" + std::to_string(i);
    events::Event event;
    events::DirectoryEntry* entry = event.mutable_directory_entry_upserted()->mutable_entry();
    entry->set_id(id);
    entry->set_kind(events::DIRECTORY_ENTRY_KIND_USER);
    entry->set_primary_address(id + "@" + domain);
    entry->add_addresses(id + "@" + domain);
    entry->set_display_name(id);
    entry->set_source("import:simulator");
    proposer_->Propose(std::move(event), [&](Result<uint64_t> index) {
      ++answered;
      if (!index.ok()) failure = index.status();
    });
  }
  const size_t wanted = static_cast<size_t>(options_.mailboxes);
  if (!world_.RunUntil(
          [&] {
            return answered == wanted && runner_->applied_index() >= proposer_->commit_index();
          },
          std::chrono::minutes(1))) {
    return Status::Unavailable("the mailboxes were not provisioned within a minute");
  }
  return failure;
}

void SimNode::Teardown() {
  smtp_.reset();
  if (writer_ != nullptr) writer_->Shutdown();
  if (worker_ != nullptr) worker_->Stop();
  worker_.reset();
  proposer_.reset();
  writer_.reset();
  disk_.RunScheduled();  // ~DBImpl waits for a scheduled job
  runner_.reset();
  projections_ = NodeProjections();
  log_.reset();
  disk_.RunScheduled();
}

void SimNode::Crash() {
  network_.Disconnect(options_.host);
  // A dead process writes nothing more; what it wrote before stays (the page cache survives).
  disk_.faults().SetWriteError(true);
  disk_.faults().SetSyncError(true);
  Teardown();
  disk_.faults().SetWriteError(false);
  disk_.faults().SetSyncError(false);
  env_.Halt();
}

void SimNode::PowerLoss(bool torn) {
  network_.Disconnect(options_.host);
  disk_.faults().CrashNow();
  Teardown();
  env_.Halt();
  const leveldb::Status crashed =
      disk_.faults().SimulateCrash(torn ? FaultInjectionEnv::CrashMode::kKeepRandomUnsynced
                                        : FaultInjectionEnv::CrashMode::kDropUnsynced);
  LB_CHECK(crashed.ok());
}

}  // namespace lifeboat::simulator
