#include "simulator/sim_raft_network.h"

#include <algorithm>
#include <utility>

#include "appliance/env/check.h"

namespace lifeboat::simulator {

class SimRaftNetwork::Transport : public eventlog::raft::RaftTransport {
 public:
  Transport(SimRaftNetwork& network, uint64_t id) : network_(network), id_(id) {}
  ~Transport() override { Stop(); }

  void Start(Receiver receiver) override {
    LB_CHECK(!network_.started_.contains(id_));
    receiver_ = std::move(receiver);
    network_.started_[id_] = this;
  }
  void Stop() override {
    auto it = network_.started_.find(id_);
    if (it != network_.started_.end() && it->second == this) network_.started_.erase(it);
    receiver_ = nullptr;
  }
  Status Send(uint64_t to_id, std::string_view /*to_address*/, std::string frame) override {
    return network_.Send(id_, to_id, std::move(frame));
  }
  bool Reachable(uint64_t to_id) const override {
    return network_.started_.contains(to_id) && network_.Connected(id_, to_id);
  }
  void Receive(std::string frame) {
    if (receiver_) receiver_(std::move(frame));
  }

 private:
  SimRaftNetwork& network_;
  const uint64_t id_;
  Receiver receiver_;
};

SimRaftNetwork::SimRaftNetwork(World& world, SimNetwork& network)
    : world_(world), network_(network) {}

SimRaftNetwork::~SimRaftNetwork() {
  *alive_ = false;
  LB_CHECK(started_.empty());
}

std::unique_ptr<eventlog::raft::RaftTransport> SimRaftNetwork::Attach(uint64_t id) {
  LB_CHECK(hosts_.contains(id));
  return std::make_unique<Transport>(*this, id);
}

bool SimRaftNetwork::Connected(uint64_t from, uint64_t to) const {
  auto a = hosts_.find(from);
  auto b = hosts_.find(to);
  if (a == hosts_.end() || b == hosts_.end()) return false;
  return !network_.Blocked(a->second, b->second);
}

Status SimRaftNetwork::Send(uint64_t from, uint64_t to, std::string frame) {
  if (!started_.contains(to) || !Connected(from, to)) {
    ++stats_.refused;
    return Status::Unavailable("no connection from raft node " + std::to_string(from) + " to " +
                               std::to_string(to));
  }
  ++stats_.sent;
  SplitMix64& random = world_.random();
  if (faults_.loss_per_mille > 0 && random.Below(1000) < faults_.loss_per_mille) {
    ++stats_.lost;
    return Status::Ok();  // lost on the wire: the sender cannot tell
  }
  auto shared = std::make_shared<const std::string>(std::move(frame));
  if (faults_.duplicate_per_mille > 0 && random.Below(1000) < faults_.duplicate_per_mille) {
    ++stats_.duplicated;
    Fly(from, to, shared);
  }
  Fly(from, to, std::move(shared));
  return Status::Ok();
}

void SimRaftNetwork::Fly(uint64_t from, uint64_t to, std::shared_ptr<const std::string> frame) {
  const int64_t span = std::max<int64_t>(0, (faults_.delay_max - faults_.delay_min).count());
  const Duration delay =
      faults_.delay_min + Duration(world_.random().Below(static_cast<uint64_t>(span) + 1));
  world_.Schedule(delay, "raft/frame", [this, alive = alive_, from, to, frame = std::move(frame)] {
    if (!*alive) return;
    auto it = started_.find(to);
    if (it == started_.end() || !Connected(from, to)) {
      ++stats_.lost;
      return;
    }
    ++stats_.delivered;
    it->second->Receive(*frame);
  });
}

}  // namespace lifeboat::simulator
