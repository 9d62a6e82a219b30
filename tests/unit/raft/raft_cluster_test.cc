// Three libraft nodes over our RaftIo, in-memory network and disks, on the manual clock: read
// each test as a timeline (STYLE.md rule 12; canonical/raft test/integration/test_election.c).
// Every step checks that no term ever has two leaders (raft_cluster_harness.h).

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/unit/raft/raft_cluster_harness.h"

namespace lifeboat::eventlog::raft {
namespace {

using testing::Cluster;
using testing::ClusterOptions;

using std::chrono::milliseconds;

// Election timeout 500 ms, randomized up to 1 s; a split vote costs another round.
constexpr Duration kElectionBound = milliseconds(5000);
constexpr Duration kCommitBound = milliseconds(2000);

uint64_t ElectLeader(Cluster& cluster) {
  EXPECT_TRUE(cluster.RunUntil([&] { return cluster.Leader().has_value(); }, kElectionBound));
  return cluster.Leader().value_or(0);
}

// Proposes `commands` on the leader one after another, each after the previous committed.
std::vector<uint64_t> CommitAll(Cluster& cluster, uint64_t leader,
                                const std::vector<std::string>& commands) {
  std::vector<uint64_t> indices;
  for (const std::string& command : commands) {
    auto outcome = cluster.Propose(leader, command);
    EXPECT_TRUE(cluster.RunUntil([&] { return outcome->has_value(); }, kCommitBound)) << command;
    if (!outcome->has_value()) break;
    EXPECT_TRUE((*outcome)->ok()) << (*outcome)->status().ToString();
    if (!(*outcome)->ok()) break;
    indices.push_back((*outcome)->value());
  }
  return indices;
}

std::vector<std::string> Commands(const std::string& prefix, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

bool AllApplied(Cluster& cluster, const std::vector<uint64_t>& ids, size_t count) {
  for (uint64_t id : ids) {
    if (!cluster.running(id) || cluster.machine(id).commands().size() < count) return false;
  }
  return true;
}

TEST(RaftClusterTest, ElectsOneLeaderWithinBoundedVirtualTime) {
  Cluster cluster;
  const uint64_t leader = ElectLeader(cluster);
  ASSERT_NE(leader, 0u);
  // Bootstrap puts every node in term 1; the first election moves to term 2 at least.
  EXPECT_GE(cluster.node(leader).term(), 2u);
  EXPECT_LE(cluster.env().MonotonicNow(), kElectionBound);
  // Followers learn the leader from its heartbeats.
  EXPECT_TRUE(cluster.RunUntil(
      [&] {
        for (uint64_t id : cluster.ids()) {
          if (cluster.node(id).leader_id() != leader) return false;
        }
        return true;
      },
      milliseconds(500)));
}

TEST(RaftClusterTest, ProposalsCommitOnAllThreeInOrder) {
  Cluster cluster;
  const uint64_t leader = ElectLeader(cluster);
  ASSERT_NE(leader, 0u);

  // Twenty proposals in flight at once: indices grow in proposal order.
  std::vector<std::shared_ptr<std::optional<Result<uint64_t>>>> outcomes;
  const std::vector<std::string> commands = Commands("mail-", 20);
  for (const std::string& command : commands) outcomes.push_back(cluster.Propose(leader, command));
  ASSERT_TRUE(cluster.RunUntil(
      [&] {
        for (const auto& outcome : outcomes) {
          if (!outcome->has_value()) return false;
        }
        return true;
      },
      kCommitBound));
  uint64_t previous = 0;
  for (const auto& outcome : outcomes) {
    ASSERT_TRUE((*outcome)->ok()) << (*outcome)->status().ToString();
    EXPECT_EQ((*outcome)->value(), previous == 0 ? (*outcome)->value() : previous + 1);
    previous = (*outcome)->value();
  }
  // Answered only after commit: the leader's commit index covers the last one already.
  EXPECT_GE(cluster.node(leader).commit_index(), previous);

  ASSERT_TRUE(
      cluster.RunUntil([&] { return AllApplied(cluster, cluster.ids(), 20); }, kCommitBound));
  for (uint64_t id : cluster.ids()) EXPECT_EQ(cluster.machine(id).commands(), commands) << id;
}

TEST(RaftClusterTest, FollowerRefusesProposalsWithUnavailable) {
  Cluster cluster;
  const uint64_t leader = ElectLeader(cluster);
  ASSERT_NE(leader, 0u);
  const uint64_t follower = leader == 1 ? 2 : 1;
  auto outcome = cluster.Propose(follower, "x");
  EXPECT_FALSE(outcome->has_value());  // never called inside Propose
  cluster.env().RunPosted();
  ASSERT_TRUE(outcome->has_value());
  EXPECT_EQ((*outcome)->status().code(), StatusCode::kUnavailable);
}

TEST(RaftClusterTest, KilledLeaderIsReplacedAndEarlierCommitsRemain) {
  Cluster cluster;
  const uint64_t old_leader = ElectLeader(cluster);
  ASSERT_NE(old_leader, 0u);
  const std::vector<std::string> before = Commands("before-", 5);
  ASSERT_EQ(CommitAll(cluster, old_leader, before).size(), 5u);
  const uint64_t old_term = cluster.node(old_leader).term();

  // In flight when it dies: never acknowledged, so it may or may not survive.
  auto in_flight = cluster.Propose(old_leader, "in-flight");
  cluster.Crash(old_leader);
  const MonoTime killed_at = cluster.env().MonotonicNow();
  const uint64_t new_leader = ElectLeader(cluster);
  ASSERT_NE(new_leader, 0u);
  EXPECT_NE(new_leader, old_leader);
  EXPECT_GT(cluster.node(new_leader).term(), old_term);
  EXPECT_LE(cluster.env().MonotonicNow() - killed_at, kElectionBound);

  const std::vector<std::string> after = Commands("after-", 5);
  ASSERT_EQ(CommitAll(cluster, new_leader, after).size(), 5u);
  std::vector<uint64_t> survivors;
  for (uint64_t id : cluster.ids()) {
    if (id != old_leader) survivors.push_back(id);
  }
  ASSERT_TRUE(cluster.RunUntil(
      [&] {
        for (uint64_t id : survivors) {
          const std::vector<std::string>& commands = cluster.machine(id).commands();
          if (commands.empty() || commands.back() != after.back()) return false;
        }
        return true;
      },
      kCommitBound));
  std::vector<std::string> expected = before;
  std::vector<std::string> survived = cluster.machine(survivors[0]).commands();
  if (survived.size() > before.size() && survived[before.size()] == "in-flight") {
    expected.push_back("in-flight");
  }
  expected.insert(expected.end(), after.begin(), after.end());
  for (uint64_t id : survivors) EXPECT_EQ(cluster.machine(id).commands(), expected) << id;
  if (in_flight->has_value()) {
    EXPECT_FALSE((*in_flight)->ok());
  }

  // The dead leader comes back on what its disk kept and takes the new leader's history.
  cluster.Restart(old_leader);
  ASSERT_TRUE(cluster.RunUntil([&] { return AllApplied(cluster, {old_leader}, expected.size()); },
                               kCommitBound));
  EXPECT_EQ(cluster.machine(old_leader).commands(), expected);
}

TEST(RaftClusterTest, PartitionedMinorityCannotCommitAndMajorityGoesOn) {
  Cluster cluster;
  const uint64_t old_leader = ElectLeader(cluster);
  ASSERT_NE(old_leader, 0u);
  ASSERT_EQ(CommitAll(cluster, old_leader, {"committed"}).size(), 1u);

  // The leader alone on its side: it may still accept a proposal, never commit it.
  cluster.network().Partition({old_leader});
  auto stranded = cluster.Propose(old_leader, "stranded");
  std::vector<uint64_t> majority;
  for (uint64_t id : cluster.ids()) {
    if (id != old_leader) majority.push_back(id);
  }
  ASSERT_TRUE(cluster.RunUntil(
      [&] {
        std::optional<uint64_t> leader = cluster.Leader();
        return leader.has_value() && *leader != old_leader;
      },
      kElectionBound));
  const uint64_t new_leader = *cluster.Leader();
  ASSERT_EQ(CommitAll(cluster, new_leader, {"majority-1", "majority-2"}).size(), 2u);

  // Long enough for the isolated leader to notice it lost its quorum and step down.
  cluster.RunFor(milliseconds(3000));
  if (stranded->has_value()) {
    EXPECT_FALSE((*stranded)->ok()) << "the minority acknowledged a proposal";
  }
  EXPECT_FALSE(cluster.node(old_leader).is_leader());
  for (const std::string& command : cluster.machine(old_leader).commands()) {
    EXPECT_NE(command, "stranded");
  }

  // Healed: the old leader takes the majority's log; "stranded" is nowhere.
  cluster.network().Heal();
  ASSERT_TRUE(
      cluster.RunUntil([&] { return AllApplied(cluster, cluster.ids(), 3); }, kElectionBound));
  cluster.RunFor(milliseconds(200));
  const std::vector<std::string> expected = {"committed", "majority-1", "majority-2"};
  for (uint64_t id : cluster.ids()) EXPECT_EQ(cluster.machine(id).commands(), expected) << id;
  ASSERT_TRUE(stranded->has_value());
  EXPECT_FALSE((*stranded)->ok());
}

TEST(RaftClusterTest, RestartedNodeLoadsItsStorageAndCatchesUp) {
  Cluster cluster;
  const uint64_t leader = ElectLeader(cluster);
  ASSERT_NE(leader, 0u);
  const uint64_t follower = leader == 3 ? 2 : 3;
  ASSERT_EQ(CommitAll(cluster, leader, Commands("a-", 5)).size(), 5u);
  ASSERT_TRUE(cluster.RunUntil([&] { return AllApplied(cluster, {follower}, 5); }, kCommitBound));

  cluster.Stop(follower);
  ASSERT_EQ(CommitAll(cluster, leader, Commands("b-", 10)).size(), 10u);
  cluster.Restart(follower);
  ASSERT_TRUE(cluster.RunUntil([&] { return AllApplied(cluster, {follower}, 15); }, kCommitBound));
  std::vector<std::string> expected = Commands("a-", 5);
  for (const std::string& command : Commands("b-", 10)) expected.push_back(command);
  EXPECT_EQ(cluster.machine(follower).commands(), expected);
  EXPECT_EQ(cluster.machine(follower).restores(), 0);
}

TEST(RaftClusterTest, LaggingNodeCatchesUpThroughASnapshot) {
  ClusterOptions options;
  options.snapshot_threshold = 8;
  options.snapshot_trailing = 2;
  Cluster cluster(options);
  const uint64_t leader = ElectLeader(cluster);
  ASSERT_NE(leader, 0u);
  const uint64_t follower = leader == 3 ? 2 : 3;
  cluster.Stop(follower);
  ASSERT_EQ(CommitAll(cluster, leader, Commands("s-", 30)).size(), 30u);

  cluster.Restart(follower);
  ASSERT_TRUE(
      cluster.RunUntil([&] { return AllApplied(cluster, {follower}, 30); }, kElectionBound));
  EXPECT_EQ(cluster.machine(follower).commands(), Commands("s-", 30));
  EXPECT_GE(cluster.machine(follower).restores(), 1);  // it came by InstallSnapshot
}

TEST(RaftClusterTest, RandomDropsDelayButNeverBreakAgreement) {
  Cluster cluster;
  cluster.network().set_drop_per_million(100'000);  // 10% of frames lost
  const uint64_t leader = ElectLeader(cluster);
  ASSERT_NE(leader, 0u);
  std::vector<std::shared_ptr<std::optional<Result<uint64_t>>>> outcomes;
  for (const std::string& command : Commands("lossy-", 10)) {
    outcomes.push_back(cluster.Propose(leader, command));
  }
  cluster.RunFor(milliseconds(3000));
  cluster.network().set_drop_per_million(0);
  ASSERT_TRUE(cluster.RunUntil(
      [&] {
        const size_t count = cluster.machine(cluster.ids()[0]).commands().size();
        for (uint64_t id : cluster.ids()) {
          if (cluster.machine(id).commands().size() != count) return false;
        }
        return count > 0;
      },
      kElectionBound));
  for (uint64_t id : cluster.ids()) {
    EXPECT_EQ(cluster.machine(id).commands(), cluster.machine(1).commands()) << id;
  }
}

// One trace of a run: who led which term when, what each node applied, frames sent.
std::string Trace(uint64_t seed) {
  ClusterOptions options;
  options.seed = seed;
  Cluster cluster(options);
  std::string trace;
  const uint64_t leader = ElectLeader(cluster);
  trace += "leader " + std::to_string(leader) + " at " +
           std::to_string(cluster.env().MonotonicNow().count()) + "\n";
  CommitAll(cluster, leader, Commands("d-", 5));
  cluster.Stop(leader);
  const uint64_t next = ElectLeader(cluster);
  trace += "leader " + std::to_string(next) + " at " +
           std::to_string(cluster.env().MonotonicNow().count()) + "\n";
  CommitAll(cluster, next, Commands("e-", 5));
  for (const auto& [term, id] : cluster.leaders_by_term()) {
    trace += "term " + std::to_string(term) + " leader " + std::to_string(id) + "\n";
  }
  for (uint64_t id : cluster.ids()) {
    if (!cluster.running(id)) continue;
    trace += "node " + std::to_string(id) + " applied " +
             std::to_string(cluster.machine(id).commands().size()) + " sent " +
             std::to_string(cluster.node(id).io_stats().frames_sent) + "\n";
  }
  trace += "network sent " + std::to_string(cluster.network().frames_sent()) + "\n";
  return trace;
}

TEST(RaftClusterTest, SameSeedReplaysTheSameRun) {
  const std::string first = Trace(42);
  const std::string second = Trace(42);
  EXPECT_EQ(first, second);
  EXPECT_NE(first.find("leader"), std::string::npos);
}

}  // namespace
}  // namespace lifeboat::eventlog::raft

namespace lifeboat::eventlog::raft {
namespace {

// True when one of the two sequences is a prefix of the other (Raft's state machine safety:
// no two nodes apply different commands at one position).
bool PrefixConsistent(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const size_t n = std::min(a.size(), b.size());
  return std::equal(a.begin(), a.begin() + static_cast<ptrdiff_t>(n), b.begin());
}

// Seeded chaos: random partitions, heals, 5% frame loss and a steady stream of proposals on
// whoever leads. At every step: one leader per term (the harness) and prefix-consistent applied
// sequences; at the end, healed, all nodes converge on the same sequence.
TEST(RaftClusterTest, RandomPartitionsKeepOneLeaderPerTermAndOneHistory) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    ClusterOptions options;
    options.seed = seed;
    Cluster cluster(options);
    cluster.network().set_drop_per_million(50'000);
    int proposed = 0;
    for (int round = 0; round < 12; ++round) {
      const uint64_t choice = cluster.env().RandomU64() % 4;
      if (choice == 0) {
        cluster.network().Heal();
      } else {
        cluster.network().Partition({choice});
      }
      for (int ms = 0; ms < 1500; ++ms) {
        if (ms % 50 == 0) {
          if (std::optional<uint64_t> leader = cluster.Leader()) {
            cluster.Propose(*leader, "s" + std::to_string(seed) + "-" + std::to_string(proposed++));
          }
        }
        cluster.Step();
        for (uint64_t a : cluster.ids()) {
          for (uint64_t b : cluster.ids()) {
            ASSERT_TRUE(
                PrefixConsistent(cluster.machine(a).commands(), cluster.machine(b).commands()))
                << "seed " << seed << ": nodes " << a << " and " << b << " applied different "
                << "commands at one index";
          }
        }
      }
    }
    cluster.network().Heal();
    cluster.network().set_drop_per_million(0);
    // One more proposal commits everything before it on all nodes.
    ASSERT_TRUE(cluster.RunUntil([&] { return cluster.Leader().has_value(); }, kElectionBound));
    ASSERT_EQ(CommitAll(cluster, *cluster.Leader(), {"final"}).size(), 1u) << "seed " << seed;
    ASSERT_TRUE(cluster.RunUntil(
        [&] {
          for (uint64_t id : cluster.ids()) {
            if (cluster.machine(id).commands() != cluster.machine(1).commands()) return false;
          }
          return true;
        },
        kCommitBound))
        << "seed " << seed;
    EXPECT_EQ(cluster.machine(1).commands().back(), "final");
    EXPECT_GT(cluster.leaders_by_term().size(), 1u) << "seed " << seed << ": no failover happened";
  }
}

}  // namespace
}  // namespace lifeboat::eventlog::raft
