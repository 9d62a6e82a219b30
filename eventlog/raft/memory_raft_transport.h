#pragma once
// An in-process network for Raft nodes that share one Env (tests; the simulator will bring its
// own): a hub that delivers frames between attached nodes after a latency drawn from the Env's
// seeded generator, and can cut nodes apart (partitions) or drop frames at a rate. Everything
// runs on the loop thread and in Env time, so one seed replays one exchange.
//
// A frame is checked against the partition twice: when sent (Send answers Unavailable, as a
// refused connection would) and when due (a partition that starts while a frame is in flight
// loses it).

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "appliance/env/env.h"
#include "eventlog/raft/raft_transport.h"

namespace lifeboat::eventlog::raft {

// Limits, units last (STYLE.md rule 8).
inline constexpr Duration kMemoryNetworkLatencyMin = std::chrono::milliseconds(1);
inline constexpr Duration kMemoryNetworkLatencyMax = std::chrono::milliseconds(5);

class MemoryRaftNetwork {
 public:
  // `env` must outlive the network and every transport it made.
  explicit MemoryRaftNetwork(Env& env);
  ~MemoryRaftNetwork();
  MemoryRaftNetwork(const MemoryRaftNetwork&) = delete;
  MemoryRaftNetwork& operator=(const MemoryRaftNetwork&) = delete;

  // A transport for node `id`. One live transport per id; the network must outlive it.
  std::unique_ptr<RaftTransport> Attach(uint64_t id);

  // Cuts every link between a node of `group` and a node outside it (a node alone in a group is
  // isolated). Replaces any earlier partition.
  void Partition(std::set<uint64_t> group);
  // Restores every link.
  void Heal();
  // Frames dropped at random, in parts per million of frames sent.
  void set_drop_per_million(uint32_t drop_per_million) { drop_per_million_ = drop_per_million; }

  uint64_t frames_sent() const { return frames_sent_; }
  uint64_t frames_delivered() const { return frames_delivered_; }

 private:
  class Transport;
  bool Connected(uint64_t from, uint64_t to) const;
  Status Send(uint64_t from, uint64_t to, std::string frame);
  void Deliver(uint64_t from, uint64_t to, const std::string& frame);

  Env& env_;
  std::map<uint64_t, Transport*> nodes_;  // attached and started
  std::set<uint64_t> partition_group_;    // empty: no partition
  uint32_t drop_per_million_ = 0;
  uint64_t frames_sent_ = 0;
  uint64_t frames_delivered_ = 0;
  // Closures queued in the Env may run after the network is gone: they check this first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeboat::eventlog::raft
