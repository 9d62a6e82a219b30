// The single-node proposer: stamps time and node, clears index and term, appends in term 1.

#include "eventlog/single_node_proposer.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::eventlog {
namespace {

using store_testing::LoopEnv;
using store_testing::TempDir;

Result<std::unique_ptr<LogStore>> OpenStore(const TempDir& dir) {
  LogStoreOptions options;
  options.path = dir.path();
  return LogStore::Open(options);
}

TEST(SingleNodeProposerTest, StampsTimeAndNodeAndAppendsInTermOne) {
  TempDir dir;
  LoopEnv loop;
  Result<std::unique_ptr<LogStore>> store = OpenStore(dir);
  ASSERT_TRUE(store.ok());
  GroupCommitWriter writer(loop, **store);
  SingleNodeProposer proposer(loop, writer, "node-a");

  events::Event event;
  event.set_index(99);  // the proposer must not trust these
  event.set_term(42);
  event.set_timestamp_unix_micros(5);
  event.mutable_login_failed();
  std::vector<Result<uint64_t>> results;
  proposer.Propose(event, [&](Result<uint64_t> index) { results.push_back(std::move(index)); });
  proposer.Propose(event, [&](Result<uint64_t> index) { results.push_back(std::move(index)); });
  ASSERT_TRUE(loop.RunUntil([&] { return results.size() == 2; }));
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(*results[0], 1u);
  EXPECT_EQ(*results[1], 2u);

  Result<std::vector<LogRecord>> records = (*store)->Read(1, 1);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->front().term, kSingleNodeTerm);
  events::Event stored;
  ASSERT_TRUE(stored.ParseFromString(records->front().payload));
  EXPECT_EQ(stored.index(), 0u);
  EXPECT_EQ(stored.term(), 0u);
  EXPECT_EQ(stored.timestamp_unix_micros(), loop.WallNow().count());
  EXPECT_EQ(stored.node_id(), "node-a");
  EXPECT_TRUE(stored.has_login_failed());
  writer.Shutdown();
}

TEST(SingleNodeProposerTest, OversizeEventIsInvalidArgumentAndNothingIsWritten) {
  TempDir dir;
  LoopEnv loop;
  Result<std::unique_ptr<LogStore>> store = OpenStore(dir);
  ASSERT_TRUE(store.ok());
  GroupCommitWriter writer(loop, **store);
  SingleNodeProposer proposer(loop, writer, "node-a");

  events::Event event;
  event.mutable_mail_received()->set_raw(std::string(kLogRecordPayloadBytesMax, 'x'));
  std::vector<Result<uint64_t>> results;
  proposer.Propose(event, [&](Result<uint64_t> index) { results.push_back(std::move(index)); });
  ASSERT_TRUE(loop.RunUntil([&] { return results.size() == 1; }));
  EXPECT_EQ(results[0].status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(results[0].status().message().find("exceeds the limit"), std::string::npos);
  writer.Shutdown();
  EXPECT_EQ((*store)->last_index(), 0u);
}

TEST(SingleNodeProposerTest, CommitIndexFollowsDurabilityAfterTheCallbacks) {
  TempDir dir;
  LoopEnv loop;
  Result<std::unique_ptr<LogStore>> store = OpenStore(dir);
  ASSERT_TRUE(store.ok());
  {
    // A log that already holds two records: on one node they are committed from the start.
    std::vector<LogRecord> held = {{1, kSingleNodeTerm, "a"}, {2, kSingleNodeTerm, "b"}};
    ASSERT_TRUE((*store)->Append(held).ok());
  }
  GroupCommitWriter writer(loop, **store);
  SingleNodeProposer proposer(loop, writer, "node-a");
  EXPECT_EQ(proposer.commit_index(), 2u);

  // Timeline: each listener call sees the proposal's callback already run.
  std::vector<std::string> timeline;
  proposer.AddCommitListener([&](uint64_t commit_index) {
    EXPECT_EQ(commit_index, proposer.commit_index());
    timeline.push_back("commit " + std::to_string(commit_index));
  });
  events::Event event;
  event.mutable_login_failed();
  proposer.Propose(event, [&](Result<uint64_t> index) {
    ASSERT_TRUE(index.ok());
    EXPECT_EQ(proposer.commit_index(), 2u);  // not yet: the listeners run after the callbacks
    timeline.push_back("acked " + std::to_string(*index));
  });
  ASSERT_TRUE(loop.RunUntil([&] { return timeline.size() == 2; }));
  EXPECT_EQ(timeline, (std::vector<std::string>{"acked 3", "commit 3"}));
  EXPECT_EQ(proposer.commit_index(), 3u);
  writer.Shutdown();
}

}  // namespace
}  // namespace lifeboat::eventlog
