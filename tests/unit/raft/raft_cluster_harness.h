#pragma once
// Three (or more) RaftNodes in one process: one ManualEnv (virtual time, one seed), one
// in-memory network, one in-memory disk per node that outlives the node (so a node can be
// stopped and started again on what it wrote). Every Step() advances time by one millisecond
// and checks the Raft election safety property (Ongaro 2014 figure 3.2: at most one leader per
// term) on every node.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eventlog/raft/memory_raft_storage.h"
#include "eventlog/raft/memory_raft_transport.h"
#include "eventlog/raft/raft_c.h"
#include "eventlog/raft/raft_node.h"
#include "simulator/manual_env.h"

namespace lifeboat::eventlog::raft::testing {

// Records every applied command; a snapshot is the whole record.
class RecordingMachine : public RaftStateMachine {
 public:
  void Apply(uint64_t index, std::string_view command) override {
    // Applied in index order, each once (a command index can skip RAFT_CHANGE entries).
    EXPECT_GT(index, last_index_);
    last_index_ = index;
    commands_.emplace_back(command);
  }
  std::string Snapshot() override {
    std::string out;
    for (const std::string& command : commands_) {
      out += std::to_string(command.size()) + ":" + command;
    }
    return out;
  }
  void Restore(uint64_t index, std::string_view snapshot) override {
    commands_.clear();
    while (!snapshot.empty()) {
      const size_t colon = snapshot.find(':');
      const size_t size = std::stoul(std::string(snapshot.substr(0, colon)));
      commands_.emplace_back(snapshot.substr(colon + 1, size));
      snapshot.remove_prefix(colon + 1 + size);
    }
    last_index_ = index;
    ++restores_;
  }

  const std::vector<std::string>& commands() const { return commands_; }
  int restores() const { return restores_; }

 private:
  uint64_t last_index_ = 0;
  std::vector<std::string> commands_;
  int restores_ = 0;
};

struct ClusterOptions {
  uint64_t seed = 1;
  size_t nodes = 3;
  unsigned snapshot_threshold = 1024;
  unsigned snapshot_trailing = 128;
  // Opens node `id`'s storage on `env`; null: a MemoryRaftStorage on the node's memory disk.
  std::function<std::unique_ptr<RaftStorage>(Env& env, uint64_t id)> open_storage;
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options = {})
      : options_(options), env_(options.seed), network_(env_) {
    std::vector<RaftServer> servers;
    for (uint64_t id = 1; id <= options_.nodes; ++id) {
      servers.push_back(RaftServer{id, "node-" + std::to_string(id), RAFT_VOTER});
    }
    for (uint64_t id = 1; id <= options_.nodes; ++id) {
      members_[id].disk = std::make_shared<MemoryRaftDisk>();
      Open(id);
      EXPECT_TRUE(members_[id].node->Bootstrap(servers).ok());
      EXPECT_TRUE(members_[id].node->Start().ok());
    }
  }
  ~Cluster() {
    for (auto& [id, member] : members_) {
      if (member.node != nullptr) Stop(id);
    }
  }

  simulator::ManualEnv& env() { return env_; }
  MemoryRaftNetwork& network() { return network_; }
  bool running(uint64_t id) const { return members_.at(id).node != nullptr; }
  RaftNode& node(uint64_t id) { return *members_.at(id).node; }
  const RecordingMachine& machine(uint64_t id) const { return *members_.at(id).machine; }
  std::vector<uint64_t> ids() const {
    std::vector<uint64_t> out;
    for (const auto& [id, member] : members_) out.push_back(id);
    return out;
  }
  // The leaders seen so far, by term.
  const std::map<uint64_t, uint64_t>& leaders_by_term() const { return leaders_by_term_; }

  // One millisecond of virtual time, then the one-leader-per-term check.
  void Step() {
    env_.Advance(std::chrono::milliseconds(1));
    CheckElectionSafety();
  }
  // Steps until `done` holds or `bound` of virtual time passed; true if it holds.
  bool RunUntil(const std::function<bool()>& done, Duration bound) {
    const MonoTime deadline = env_.MonotonicNow() + bound;
    while (!done()) {
      if (env_.MonotonicNow() >= deadline) return false;
      Step();
    }
    return true;
  }
  void RunFor(Duration span) {
    RunUntil([] { return false; }, span);
  }

  // The single running leader whose term is the highest among running nodes, if any.
  std::optional<uint64_t> Leader() const {
    std::optional<uint64_t> leader;
    uint64_t term = 0;
    for (const auto& [id, member] : members_) {
      if (member.node == nullptr || !member.node->is_leader()) continue;
      if (!leader.has_value() || member.node->term() > term) {
        leader = id;
        term = member.node->term();
      }
    }
    return leader;
  }

  // Proposes on `id` and records the outcome.
  std::shared_ptr<std::optional<Result<uint64_t>>> Propose(uint64_t id, std::string command) {
    auto outcome = std::make_shared<std::optional<Result<uint64_t>>>();
    node(id).Propose(std::move(command),
                     [outcome](Result<uint64_t> index) { *outcome = std::move(index); });
    return outcome;
  }

  // Closes the node, waits (virtual time runs) until libraft released it, destroys it. Its disk
  // keeps everything whose write completed.
  void Stop(uint64_t id) {
    Member& member = members_.at(id);
    bool closed = false;
    member.node->Close([&closed] { closed = true; });
    while (!closed) env_.Advance(std::chrono::milliseconds(1));
    member.node.reset();
    member.transport.reset();
    member.storage.reset();  // drains its executor
    env_.RunUntilIdle();
  }
  // A crash: the node's disk loses every write not yet done (queued appends, a snapshot in
  // flight), then the node is torn down. Memory disks only.
  void Crash(uint64_t id) {
    Member& member = members_.at(id);
    LB_CHECK(!options_.open_storage);
    {
      std::lock_guard lock(member.disk->mutex);
      member.disk->cut = true;
    }
    Stop(id);
    std::lock_guard lock(member.disk->mutex);
    member.disk->cut = false;
  }
  // Starts a stopped node on its disk, with a fresh state machine (its state is memory).
  void Restart(uint64_t id) {
    Open(id);
    ASSERT_TRUE(members_.at(id).node->Start().ok());
  }

 private:
  struct Member {
    std::shared_ptr<MemoryRaftDisk> disk;
    std::unique_ptr<RaftStorage> storage;
    std::unique_ptr<RaftTransport> transport;
    std::unique_ptr<RecordingMachine> machine;
    std::unique_ptr<RaftNode> node;
  };

  void Open(uint64_t id) {
    Member& member = members_.at(id);
    if (options_.open_storage) {
      member.storage = options_.open_storage(env_, id);
    } else {
      member.storage = std::make_unique<MemoryRaftStorage>(env_, member.disk);
    }
    member.transport = network_.Attach(id);
    member.machine = std::make_unique<RecordingMachine>();
    RaftNodeOptions options;
    options.id = id;
    options.address = "node-" + std::to_string(id);
    options.snapshot_threshold = options_.snapshot_threshold;
    options.snapshot_trailing = options_.snapshot_trailing;
    member.node = std::make_unique<RaftNode>(env_, *member.storage, *member.transport,
                                             *member.machine, options);
  }

  void CheckElectionSafety() {
    for (const auto& [id, member] : members_) {
      if (member.node == nullptr || !member.node->is_leader()) continue;
      auto [it, inserted] = leaders_by_term_.emplace(member.node->term(), id);
      if (!inserted && it->second != id) {
        ADD_FAILURE() << "two leaders in term " << member.node->term() << ": " << it->second
                      << " and " << id;
      }
    }
  }

  ClusterOptions options_;
  simulator::ManualEnv env_;
  MemoryRaftNetwork network_;
  std::map<uint64_t, Member> members_;
  std::map<uint64_t, uint64_t> leaders_by_term_;
};

}  // namespace lifeboat::eventlog::raft::testing
