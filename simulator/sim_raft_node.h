#pragma once
// A simulated member of a Raft cluster (issue #14): the real RaftNode (eventlog/raft/raft_node.h)
// over the real RaftIo, on the real LogStoreRaftStorage, on a LogStore opened on this node's
// SimDisk (memenv under the fault-injection disk), reached through the SimRaftNetwork, with a
// RaftProposer in front, all on the node's SimEnv.
//
// The state machine is SimMailProjection below: until the projection runner becomes Raft's
// state machine (issue #13 item 2), it folds the committed events the way a projection does
// (in index order, time only from the event) into what the checkers compare: which mails it
// holds, and a hash of everything applied.
//
// Faults on the process, as SimNode's: Crash() (the process dies: writes that returned stay on
// the disk, nothing it queued runs) and PowerLoss() (as Crash, and the disk forgets what was
// never synced). Start() again is the restart. Both close libraft first (RaftNode must be
// closed before it is destroyed), with the disk refusing every write meanwhile, and run the
// world until it closed: the rest of the cluster goes on during those few virtual milliseconds.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/status.h"
#include "eventlog/log_store.h"
#include "eventlog/raft/log_store_raft_storage.h"
#include "eventlog/raft/raft_node.h"
#include "eventlog/raft/raft_proposer.h"
#include "simulator/sim_disk.h"
#include "simulator/sim_network.h"
#include "simulator/sim_raft_network.h"
#include "simulator/world.h"

namespace lifeboat::simulator {

// The mails a node's state holds (MailReceived.mail_id -> how many times filed) and a hash of
// every command applied with its index.
class SimMailProjection : public eventlog::raft::RaftStateMachine {
 public:
  // The injected bug of the swarm test: the projection skips the kSkippedCommand-th command
  // it applies after a start (it advances its applied index without folding it).
  static constexpr uint64_t kSkippedCommand = 50;
  explicit SimMailProjection(bool skips_an_event_for_tests)
      : skips_an_event_for_tests_(skips_an_event_for_tests) {}

  void Apply(uint64_t index, std::string_view command) override;
  std::string Snapshot() override;
  void Restore(uint64_t index, std::string_view snapshot) override;

  uint64_t applied_index() const { return applied_index_; }
  uint64_t state_hash() const { return hash_; }
  const std::map<std::string, uint64_t>& mails() const { return mails_; }

 private:
  const bool skips_an_event_for_tests_;
  uint64_t applied_this_start_ = 0;
  uint64_t applied_index_ = 0;
  uint64_t hash_ = Fnv1a("");
  std::map<std::string, uint64_t> mails_;
};

struct SimRaftNodeOptions {
  uint64_t id = 1;
  std::string name = "n1";
  std::string host = "10.0.0.1";
  // The founding members, bootstrapped on the first start.
  std::vector<eventlog::raft::RaftServer> servers;
  // Small memtables: flushes and compactions happen within a simulation (sim_disk.h).
  size_t log_write_buffer_bytes = 256u << 10;
  // Injected bugs (the swarm test proves the checkers catch them); never in production.
  bool follower_acknowledges_before_sync_for_tests = false;
  bool projection_skips_an_event_for_tests = false;
};

class SimRaftNode {
 public:
  // Closing libraft at a crash takes a few virtual milliseconds; this bounds it.
  static constexpr Duration kCloseBound = std::chrono::seconds(10);

  SimRaftNode(World& world, SimNetwork& network, SimRaftNetwork& raft_network,
              SimRaftNodeOptions options);
  ~SimRaftNode();
  SimRaftNode(const SimRaftNode&) = delete;
  SimRaftNode& operator=(const SimRaftNode&) = delete;

  // Opens the log, loads Raft's state (bootstrapping a pristine log) and starts.
  Status Start();
  void Crash();
  // `torn`: a random page prefix of each unsynced tail survives (fault_injection_env.h).
  void PowerLoss(bool torn);
  // Started and not being torn down.
  bool running() const { return node_ != nullptr && !stopping_; }
  // Being torn down (a crash in progress: libraft closing while the world runs).
  bool stopping() const { return stopping_; }

  const SimRaftNodeOptions& options() const { return options_; }
  SimEnv& env() { return env_; }
  SimDisk& disk() { return disk_; }
  // While running():
  eventlog::raft::RaftNode& raft() { return *node_; }
  const eventlog::raft::RaftNode& raft() const { return *node_; }
  eventlog::raft::RaftProposer& proposer() { return *proposer_; }
  const SimMailProjection& projection() const { return *machine_; }
  const eventlog::LogStore& log() const { return *log_; }
  uint64_t starts() const { return starts_; }

 private:
  // Closes libraft (running the world until it did) and destroys the process's objects.
  void Teardown();

  World& world_;
  SimNetwork& network_;
  SimRaftNetwork& raft_network_;
  const SimRaftNodeOptions options_;
  SimEnv env_;
  SimDisk disk_;
  bool stopping_ = false;
  uint64_t starts_ = 0;
  // Destroyed in reverse: the proposer's listener dies with the node, before the proposer.
  std::unique_ptr<eventlog::LogStore> log_;
  std::unique_ptr<eventlog::raft::LogStoreRaftStorage> storage_;
  std::unique_ptr<eventlog::raft::RaftTransport> transport_;
  std::unique_ptr<SimMailProjection> machine_;
  std::unique_ptr<eventlog::raft::RaftProposer> proposer_;
  std::unique_ptr<eventlog::raft::RaftNode> node_;
};

}  // namespace lifeboat::simulator
