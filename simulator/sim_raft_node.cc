#include "simulator/sim_raft_node.h"

#include <utility>

#include "appliance/env/check.h"
#include "eventlog/events.pb.h"

namespace lifeboat::simulator {
namespace {

std::string IndexBytes(uint64_t index) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(index >> (56 - 8 * i));
  return out;
}

}  // namespace

void SimMailProjection::Apply(uint64_t index, std::string_view command) {
  LB_CHECK(index > applied_index_);  // RaftStateMachine: index order, once each
  applied_index_ = index;
  ++applied_this_start_;
  if (skips_an_event_for_tests_ && applied_this_start_ == kSkippedCommand) return;
  hash_ = Fnv1a(command, Fnv1a(IndexBytes(index), hash_));
  events::Event event;
  if (event.ParseFromArray(command.data(), static_cast<int>(command.size())) &&
      event.has_mail_received()) {
    ++mails_[event.mail_received().mail_id()];
  }
}

std::string SimMailProjection::Snapshot() {
  // index, hash, then (id length, id, count) per mail: all fixed-width but the ids.
  std::string out = IndexBytes(applied_index_) + IndexBytes(hash_);
  for (const auto& [id, count] : mails_) out += IndexBytes(id.size()) + id + IndexBytes(count);
  return out;
}

void SimMailProjection::Restore(uint64_t index, std::string_view snapshot) {
  auto take = [&snapshot] {
    LB_CHECK(snapshot.size() >= 8);
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(snapshot[i]);
    snapshot.remove_prefix(8);
    return value;
  };
  const uint64_t taken_at = take();
  LB_CHECK(taken_at == index);
  hash_ = take();
  mails_.clear();
  while (!snapshot.empty()) {
    const uint64_t size = take();
    LB_CHECK(snapshot.size() >= size);
    std::string id(snapshot.substr(0, size));
    snapshot.remove_prefix(size);
    mails_[std::move(id)] = take();
  }
  applied_index_ = index;
}

SimRaftNode::SimRaftNode(World& world, SimNetwork& network, SimRaftNetwork& raft_network,
                         SimRaftNodeOptions options)
    : world_(world),
      network_(network),
      raft_network_(raft_network),
      options_(std::move(options)),
      env_(world, options_.name),
      disk_(world, "/" + options_.name) {
  env_.set_network(&network_.node(options_.host));
  raft_network_.AddHost(options_.id, options_.host);
}

SimRaftNode::~SimRaftNode() {
  Teardown();
  env_.Halt();
}

Status SimRaftNode::Start() {
  LB_CHECK(node_ == nullptr);
  ++starts_;
  eventlog::LogStoreOptions log_options;
  log_options.path = disk_.root() + "/log";
  log_options.leveldb_env = disk_.env();
  log_options.sync_directory = [this](const std::string& directory) {
    return disk_.SyncDirectory(directory);
  };
  log_options.write_buffer_bytes = options_.log_write_buffer_bytes;
  log_options.wal_file_system = disk_.files();
  // LevelDB's own WAL files, not the preallocated ones: the in-memory file layer rewrites a
  // whole file per in-place write (sim_disk.h), which made the preallocated WAL most of a cluster
  // run's CPU. The single-node simulation covers the preallocated WAL under the same faults.
  log_options.preallocate_wal = false;
  log_options.env = &env_;
  Result<std::unique_ptr<eventlog::LogStore>> log = eventlog::LogStore::Open(log_options);
  disk_.RunScheduled();
  if (!log.ok()) return log.status();
  log_ = std::move(log).value();
  storage_ = std::make_unique<eventlog::raft::LogStoreRaftStorage>(env_, *log_);
  if (options_.follower_acknowledges_before_sync_for_tests) {
    storage_->set_acknowledge_before_sync_for_tests(
        [this] { return node_ != nullptr && !node_->is_leader(); });
  }
  transport_ = raft_network_.Attach(options_.id);
  machine_ = std::make_unique<SimMailProjection>(options_.projection_skips_an_event_for_tests);
  eventlog::raft::RaftNodeOptions raft_options;
  raft_options.id = options_.id;
  raft_options.address = options_.host;
  node_ = std::make_unique<eventlog::raft::RaftNode>(env_, *storage_, *transport_, *machine_,
                                                     raft_options);
  if (log_->last_index() == 0) LB_RETURN_IF_ERROR(node_->Bootstrap(options_.servers));
  LB_RETURN_IF_ERROR(node_->Start());
  proposer_ = std::make_unique<eventlog::raft::RaftProposer>(env_, *node_, options_.name);
  return Status::Ok();
}

void SimRaftNode::Teardown() {
  if (node_ != nullptr) {
    stopping_ = true;
    bool closed = false;
    node_->Close([&closed] { closed = true; });
    LB_CHECK(world_.RunUntil([&closed] { return closed; }, kCloseBound));
    node_.reset();
    proposer_.reset();
    machine_.reset();
    transport_.reset();
    storage_.reset();  // drains its executor
    disk_.RunScheduled();
    stopping_ = false;
  } else {
    node_.reset();
    proposer_.reset();
    machine_.reset();
    transport_.reset();
    storage_.reset();
  }
  log_.reset();
  disk_.RunScheduled();  // ~DBImpl waits for a scheduled job
}

void SimRaftNode::Crash() {
  network_.Disconnect(options_.host);
  // A dead process writes nothing more; what it wrote before stays (the page cache survives).
  disk_.faults().SetWriteError(true);
  disk_.faults().SetSyncError(true);
  Teardown();
  disk_.faults().SetWriteError(false);
  disk_.faults().SetSyncError(false);
  env_.Halt();
}

void SimRaftNode::PowerLoss(bool torn) {
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
