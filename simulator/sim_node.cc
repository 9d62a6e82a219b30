#include "simulator/sim_node.h"

#include <utility>

#include "appliance/config/config.h"
#include "appliance/env/check.h"
#include "eventlog/events.pb.h"

namespace lifeboat::simulator {

SimNode::SimNode(World& world, SimNetwork& network, SimNodeOptions options)
    : world_(world),
      network_(network),
      options_(std::move(options)),
      env_(world, options_.name),
      disk_(world, "/" + options_.name),
      logger_(env_, LogLevel::kWarn, [this](std::string_view) { ++log_lines_; }) {
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
  return storage_ != nullptr ? storage_->commit_index() : 0;
}

Status SimNode::Start() {
  LB_CHECK(!running());
  ++starts_;
  NodeStorageOptions storage_options;
  storage_options.data_dir = disk_.root();
  storage_options.identity.cluster_id = "sim";
  storage_options.identity.node_id = options_.name;
  storage_options.accepted_domains = options_.domains;
  storage_options.disk_reserve_bytes = options_.disk_reserve_bytes;
  storage_options.leveldb_env = disk_.env();
  storage_options.wal_file_system = disk_.files();
  storage_options.sync_directory = [this](const std::string& directory) {
    return disk_.SyncDirectory(directory);
  };
  storage_options.free_bytes = [this]() -> Result<uint64_t> {
    uint64_t free_bytes = 0;
    const leveldb::Status status = disk_.files()->FreeBytes(disk_.root(), &free_bytes);
    if (!status.ok()) return Status::IoError(status.ToString());
    return free_bytes;
  };
  storage_options.store_bytes = [this] { return disk_.used_bytes(); };
  storage_options.log.write_buffer_bytes = options_.log_write_buffer_bytes;
  storage_options.log.wal_spare_bytes = kWalSpareBytes;
  // One batch stays under the memtable, so one event never switches memtables twice (sim_disk.h).
  storage_options.group_commit.batch_bytes_max = options_.log_write_buffer_bytes / 2;
  storage_options.group_commit.acknowledge_before_sync_for_tests =
      options_.acknowledge_before_sync_for_tests;
  // No linger (its timer would only add events) and no niceness (no thread to renice).
  storage_options.projection_worker.linger = std::chrono::microseconds(0);
  storage_options.projection_worker.nice = 0;
  Result<std::unique_ptr<NodeStorage>> storage =
      NodeStorage::Open(std::move(storage_options), env_, logger_);
  disk_.RunScheduled();
  if (!storage.ok()) return storage.status();
  storage_ = std::move(storage).value();
  storage_->OnProjectionError([this](const Status& error) {
    if (!disk_.faults().crashed()) worker_errors_.push_back(error.ToString());
  });

  if (storage_->log().last_index() == 0) LB_RETURN_IF_ERROR(ProvisionMailboxes());

  config::Config config;
  config.node.id = options_.name;
  config.smtp.enabled = true;
  config.smtp.listen = smtp_address();
  config.smtp.hostname = options_.name + ".sim";
  config.smtp.domains = options_.domains;
  config.smtp.message_interval_per_ip_ms = 0;  // senders share few addresses: no rate limit
  config.smtp.disk_reserve_bytes = static_cast<int64_t>(options_.disk_reserve_bytes);
  Result<std::unique_ptr<smtp_driver::SmtpService>> smtp = smtp_driver::SmtpService::Start(
      config, env_, storage_->proposer(), *storage_->projections().directory_view,
      storage_->disk_reserve());
  if (!smtp.ok()) return smtp.status();
  smtp_ = std::move(smtp).value();
  if (options_.routing.enabled) {
    routing_ =
        std::make_unique<RoutingService>(options_.routing, env_, logger_, storage_->proposer(),
                                         *storage_->projections().routing_table);
    routing_->Start();
  }
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
    storage_->proposer().Propose(std::move(event), [&](Result<uint64_t> index) {
      ++answered;
      if (!index.ok()) failure = index.status();
    });
  }
  const size_t wanted = static_cast<size_t>(options_.mailboxes);
  if (!world_.RunUntil(
          [&] {
            return answered == wanted && storage_->applied_index() >= storage_->commit_index();
          },
          std::chrono::minutes(1))) {
    return Status::Unavailable("the mailboxes were not provisioned within a minute");
  }
  return failure;
}

void SimNode::Teardown() {
  routing_.reset();
  smtp_.reset();
  if (storage_ != nullptr) {
    // What the writer and the worker post is dropped, as the process that posted it died.
    (void)storage_->Shutdown([] {});
    disk_.RunScheduled();  // ~DBImpl waits for a scheduled job
    storage_.reset();
  }
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
