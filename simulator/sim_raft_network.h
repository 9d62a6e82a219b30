#pragma once
// The Raft nodes' network in the simulation (issue #14): a RaftTransport per node whose frames
// travel on the world's clock and seed, between the hosts of the SimNetwork (sim_network.h), so
// that the SimNetwork's partitions and clogged hosts (SimNetwork::Blocked) cut Raft traffic and
// SMTP traffic alike.
//
// Model: a frame is a datagram, as libraft allows of its network (raft_transport.h: lost,
// delayed, reordered, never corrupted). Each frame gets its own seeded delay in
// [delay_min, delay_max], so frames overtake each other (reordering); it is lost at
// loss_per_mille, duplicated at duplicate_per_mille (the copy gets a delay of its own). A frame
// is checked against the partition when sent (Send answers Unavailable, as a refused connection)
// and again when due (a partition that starts while a frame is in flight loses it); a node that
// is down (transport stopped) loses what reaches it.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "eventlog/raft/raft_transport.h"
#include "simulator/sim_network.h"
#include "simulator/world.h"

namespace lifeboat::simulator {

class SimRaftNetwork {
 public:
  static constexpr Duration kDelayMinDefault = std::chrono::microseconds(200);
  static constexpr Duration kDelayMaxDefault = std::chrono::milliseconds(5);

  struct Faults {
    Duration delay_min = kDelayMinDefault;
    Duration delay_max = kDelayMaxDefault;
    uint32_t loss_per_mille = 0;
    uint32_t duplicate_per_mille = 0;
  };

  struct Stats {
    uint64_t sent = 0;
    uint64_t refused = 0;  // Send across a partition or to a node that is down
    uint64_t lost = 0;     // dropped at random, or cut off while in flight
    uint64_t duplicated = 0;
    uint64_t delivered = 0;
  };

  // `network` decides which hosts are cut apart; both must outlive this network.
  SimRaftNetwork(World& world, SimNetwork& network);
  ~SimRaftNetwork();
  SimRaftNetwork(const SimRaftNetwork&) = delete;
  SimRaftNetwork& operator=(const SimRaftNetwork&) = delete;

  // Node `id` lives on `host`. Call before Attach.
  void AddHost(uint64_t id, std::string host) { hosts_[id] = std::move(host); }
  // A transport for node `id`; one started at a time per id. The network must outlive it.
  std::unique_ptr<eventlog::raft::RaftTransport> Attach(uint64_t id);

  Faults& faults() { return faults_; }
  const Stats& stats() const { return stats_; }

 private:
  class Transport;
  bool Connected(uint64_t from, uint64_t to) const;
  Status Send(uint64_t from, uint64_t to, std::string frame);
  void Fly(uint64_t from, uint64_t to, std::shared_ptr<const std::string> frame);

  World& world_;
  SimNetwork& network_;
  std::map<uint64_t, std::string> hosts_;
  std::map<uint64_t, Transport*> started_;
  Faults faults_;
  Stats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeboat::simulator
