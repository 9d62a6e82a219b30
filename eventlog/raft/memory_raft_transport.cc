#include "eventlog/raft/memory_raft_transport.h"

#include <utility>

namespace lifeboat::eventlog::raft {

class MemoryRaftNetwork::Transport : public RaftTransport {
 public:
  Transport(MemoryRaftNetwork& network, uint64_t id) : network_(network), id_(id) {}
  ~Transport() override { Stop(); }

  void Start(Receiver receiver) override {
    LB_CHECK(!network_.nodes_.contains(id_));
    receiver_ = std::move(receiver);
    network_.nodes_[id_] = this;
  }
  void Stop() override {
    auto it = network_.nodes_.find(id_);
    if (it != network_.nodes_.end() && it->second == this) network_.nodes_.erase(it);
    receiver_ = nullptr;
  }
  Status Send(uint64_t to_id, std::string_view /*to_address*/, std::string frame) override {
    return network_.Send(id_, to_id, std::move(frame));
  }
  void Receive(std::string frame) {
    if (receiver_) receiver_(std::move(frame));
  }

 private:
  MemoryRaftNetwork& network_;
  const uint64_t id_;
  Receiver receiver_;
};

MemoryRaftNetwork::MemoryRaftNetwork(Env& env) : env_(env) {}

MemoryRaftNetwork::~MemoryRaftNetwork() {
  *alive_ = false;
  LB_CHECK(nodes_.empty());
}

std::unique_ptr<RaftTransport> MemoryRaftNetwork::Attach(uint64_t id) {
  return std::make_unique<Transport>(*this, id);
}

void MemoryRaftNetwork::Partition(std::set<uint64_t> group) {
  partition_group_ = std::move(group);
}

void MemoryRaftNetwork::Heal() {
  partition_group_.clear();
}

bool MemoryRaftNetwork::Connected(uint64_t from, uint64_t to) const {
  if (partition_group_.empty()) return true;
  return partition_group_.contains(from) == partition_group_.contains(to);
}

Status MemoryRaftNetwork::Send(uint64_t from, uint64_t to, std::string frame) {
  if (!nodes_.contains(to) || !Connected(from, to)) {
    return Status::Unavailable("no connection from raft node " + std::to_string(from) + " to " +
                               std::to_string(to));
  }
  ++frames_sent_;
  if (drop_per_million_ > 0 && env_.RandomU64() % 1'000'000 < drop_per_million_) {
    return Status::Ok();  // lost on the wire: the sender cannot tell
  }
  const uint64_t spread =
      static_cast<uint64_t>((kMemoryNetworkLatencyMax - kMemoryNetworkLatencyMin).count()) + 1;
  const Duration latency = kMemoryNetworkLatencyMin + Duration(env_.RandomU64() % spread);
  env_.StartTimer(latency, [this, alive = alive_, from, to, frame = std::move(frame)] {
    if (*alive) Deliver(from, to, frame);
  });
  return Status::Ok();
}

void MemoryRaftNetwork::Deliver(uint64_t from, uint64_t to, const std::string& frame) {
  auto it = nodes_.find(to);
  if (it == nodes_.end() || !Connected(from, to)) return;
  ++frames_delivered_;
  it->second->Receive(frame);
}

}  // namespace lifeboat::eventlog::raft
