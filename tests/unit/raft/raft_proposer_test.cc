// The Raft proposer behind eventlog/proposer.h: the leader acknowledges after commit, the commit
// index and its listeners follow, a follower refuses.

#include "eventlog/raft/raft_proposer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "eventlog/events.pb.h"
#include "tests/unit/raft/raft_cluster_harness.h"

namespace lifeboat::eventlog::raft {
namespace {

TEST(RaftProposerTest, LeaderAcknowledgesAfterCommitAndListenersFollow) {
  testing::Cluster cluster;
  ASSERT_TRUE(
      cluster.RunUntil([&] { return cluster.Leader().has_value(); }, std::chrono::seconds(5)));
  const uint64_t leader = *cluster.Leader();
  RaftProposer proposer(cluster.env(), cluster.node(leader), "node-" + std::to_string(leader));
  std::vector<std::string> timeline;
  proposer.AddCommitListener(
      [&](uint64_t commit_index) { timeline.push_back("commit " + std::to_string(commit_index)); });

  std::vector<uint64_t> indices;
  for (int i = 0; i < 3; ++i) {
    events::Event event;
    event.set_index(99);  // the proposer must not trust these
    event.set_term(42);
    event.mutable_login_failed();
    proposer.Propose(event, [&](Result<uint64_t> index) {
      ASSERT_TRUE(index.ok()) << index.status().ToString();
      indices.push_back(index.value());
      timeline.push_back("done " + std::to_string(index.value()));
    });
  }
  ASSERT_TRUE(cluster.RunUntil([&] { return proposer.commit_index() >= 1 && indices.size() == 3; },
                               std::chrono::seconds(2)));
  cluster.RunFor(std::chrono::milliseconds(10));
  EXPECT_EQ(indices[1], indices[0] + 1);
  EXPECT_EQ(indices[2], indices[1] + 1);
  EXPECT_GE(proposer.commit_index(), indices[2]);
  EXPECT_LE(proposer.commit_index(), cluster.node(leader).commit_index());
  // Every "done i" comes before the first "commit j" with j >= i.
  for (size_t k = 0; k < timeline.size(); ++k) {
    if (timeline[k].rfind("commit ", 0) != 0) continue;
    const uint64_t committed = std::stoull(timeline[k].substr(7));
    for (uint64_t index : indices) {
      if (index > committed) continue;
      const std::string done = "done " + std::to_string(index);
      const auto at = std::find(timeline.begin(), timeline.end(), done);
      ASSERT_NE(at, timeline.end());
      EXPECT_LT(static_cast<size_t>(at - timeline.begin()), k) << done << " after commit";
    }
  }
  // The state machine got the stamped event, without the caller's index and term.
  const std::string& applied = cluster.machine(leader).commands().back();
  events::Event event;
  ASSERT_TRUE(event.ParseFromString(applied));
  EXPECT_EQ(event.node_id(), "node-" + std::to_string(leader));
  EXPECT_EQ(event.index(), 0u);
  EXPECT_EQ(event.term(), 0u);
  EXPECT_GT(event.timestamp_unix_micros(), 0);
  EXPECT_LE(event.timestamp_unix_micros(), cluster.env().WallNow().count());
}

TEST(RaftProposerTest, FollowerAnswersUnavailable) {
  testing::Cluster cluster;
  ASSERT_TRUE(
      cluster.RunUntil([&] { return cluster.Leader().has_value(); }, std::chrono::seconds(5)));
  const uint64_t follower = *cluster.Leader() == 1 ? 2 : 1;
  RaftProposer proposer(cluster.env(), cluster.node(follower), "f");
  std::optional<Result<uint64_t>> outcome;
  events::Event event;
  event.mutable_login_failed();
  proposer.Propose(event, [&](Result<uint64_t> index) { outcome = std::move(index); });
  cluster.env().RunPosted();
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace lifeboat::eventlog::raft
