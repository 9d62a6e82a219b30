// The Raft storage on the LevelDB log: what it writes survives reopening the store, queued
// appends share one synced write, and three nodes on it elect, commit and restart.

#include "eventlog/raft/log_store_raft_storage.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "eventlog/raft/raft_c.h"
#include "simulator/manual_env.h"
#include "tests/unit/eventlog/store_test_support.h"
#include "tests/unit/raft/raft_cluster_harness.h"

namespace lifeboat::eventlog::raft {
namespace {

using store_testing::TempDir;

std::unique_ptr<LogStore> OpenStore(const TempDir& dir) {
  LogStoreOptions options;
  options.path = dir.path();
  Result<std::unique_ptr<LogStore>> store = LogStore::Open(options);
  LB_CHECK(store.ok());
  return std::move(store.value());
}

RaftEntry Command(uint64_t term, std::string data) {
  return RaftEntry{term, RAFT_COMMAND, std::move(data)};
}

TEST(LogStoreRaftStorageTest, WritesSurviveReopeningTheStore) {
  TempDir dir;
  simulator::ManualEnv env(1);
  {
    std::unique_ptr<LogStore> store = OpenStore(dir);
    LogStoreRaftStorage storage(env, *store);
    ASSERT_TRUE(storage.Bootstrap(RaftEntry{1, RAFT_CHANGE, "configuration"}).ok());
    EXPECT_EQ(storage.Bootstrap(RaftEntry{1, RAFT_CHANGE, "again"}).code(),
              StatusCode::kFailedPrecondition);
    ASSERT_TRUE(storage.SetTermAndVote(3, 2).ok());

    std::vector<Status> results;
    auto record = [&](Status status) { results.push_back(std::move(status)); };
    storage.Append(2, {Command(2, "a"), Command(2, "b")}, record);
    storage.Append(4, {Command(3, "c")}, record);
    // A conflicting suffix replaced: index 3 onwards rewritten in term 3.
    storage.Truncate(3, record);
    storage.Append(3, {Command(3, "B"), Command(3, "C")}, record);
    EXPECT_TRUE(results.empty());  // never from inside the call
    env.RunUntilIdle();
    ASSERT_EQ(results.size(), 4u);
    for (const Status& status : results) EXPECT_TRUE(status.ok()) << status.ToString();
    // The first two appends continue each other: one synced write for both.
    EXPECT_EQ(storage.stats().append_calls, 3u);
    EXPECT_EQ(storage.stats().synced_batches, 2u);
  }
  std::unique_ptr<LogStore> store = OpenStore(dir);
  LogStoreRaftStorage storage(env, *store);
  Result<RaftPersistentState> state = storage.Load();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state.value().term, 3u);
  EXPECT_EQ(state.value().voted_for, 2u);
  EXPECT_EQ(state.value().start_index, 1u);
  const std::vector<RaftEntry> expected = {RaftEntry{1, RAFT_CHANGE, "configuration"},
                                           Command(2, "a"), Command(3, "B"), Command(3, "C")};
  EXPECT_EQ(state.value().entries, expected);
  EXPECT_FALSE(state.value().snapshot.has_value());
}

TEST(LogStoreRaftStorageTest, SnapshotCompactsAndIsLoadedBack) {
  TempDir dir;
  simulator::ManualEnv env(1);
  std::unique_ptr<LogStore> store = OpenStore(dir);
  LogStoreRaftStorage storage(env, *store);
  ASSERT_TRUE(storage.Bootstrap(RaftEntry{1, RAFT_CHANGE, "configuration"}).ok());
  std::vector<Status> results;
  auto record = [&](Status status) { results.push_back(std::move(status)); };
  std::vector<RaftEntry> entries;
  for (int i = 0; i < 9; ++i) entries.push_back(Command(2, "e" + std::to_string(i)));
  storage.Append(2, entries, record);  // indices 2..10
  RaftSnapshot snapshot;
  snapshot.index = 8;
  snapshot.term = 2;
  snapshot.configuration = {RaftServer{1, "node-1", RAFT_VOTER}};
  snapshot.configuration_index = 1;
  snapshot.data = "state through 8";
  storage.PutSnapshot(snapshot, /*trailing=*/3, record);
  env.RunUntilIdle();
  ASSERT_EQ(results.size(), 2u);
  for (const Status& status : results) EXPECT_TRUE(status.ok()) << status.ToString();

  Result<RaftPersistentState> state = storage.Load();
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE(state.value().snapshot.has_value());
  EXPECT_EQ(state.value().snapshot->data, "state through 8");
  EXPECT_EQ(state.value().snapshot->configuration, snapshot.configuration);
  EXPECT_EQ(state.value().start_index, 6u);  // 3 trailing entries kept: 6, 7, 8
  EXPECT_EQ(state.value().entries.size(), 5u);

  std::optional<Result<RaftSnapshot>> got;
  storage.GetSnapshot([&](Result<RaftSnapshot> result) { got = std::move(result); });
  env.RunUntilIdle();
  ASSERT_TRUE(got.has_value() && got->ok());
  EXPECT_EQ(got->value().index, 8u);

  // An installed snapshot (trailing 0) empties the log; it continues after the snapshot, also
  // when the snapshot reaches beyond the log's end (a follower far behind).
  snapshot.index = 20;
  storage.PutSnapshot(snapshot, 0, record);
  env.RunUntilIdle();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results.back().ok()) << results.back().ToString();
  state = storage.Load();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state.value().start_index, 21u);
  EXPECT_TRUE(state.value().entries.empty());
  storage.Append(21, {Command(3, "after the snapshot")}, record);
  env.RunUntilIdle();
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results.back().ok()) << results.back().ToString();
  EXPECT_EQ(store->first_index(), 21u);
  EXPECT_EQ(store->last_index(), 21u);
}

// One LevelDB log per node id, kept across the node's restarts; a restart reopens it, so only
// what was synced comes back.
struct LevelDbDisks {
  std::map<uint64_t, std::unique_ptr<TempDir>> dirs;
  std::map<uint64_t, std::unique_ptr<LogStore>> stores;

  std::unique_ptr<RaftStorage> Open(Env& env, uint64_t id) {
    if (!dirs.contains(id)) dirs[id] = std::make_unique<TempDir>();
    stores[id].reset();
    stores[id] = OpenStore(*dirs[id]);
    return std::make_unique<LogStoreRaftStorage>(env, *stores[id]);
  }
};

TEST(LogStoreRaftStorageTest, ThreeNodesOnLevelDbCommitAndARestartedNodeCatchesUp) {
  LevelDbDisks disks;
  auto& stores = disks.stores;
  testing::ClusterOptions options;
  options.open_storage = [&](Env& env, uint64_t id) { return disks.Open(env, id); };
  testing::Cluster cluster(options);
  ASSERT_TRUE(
      cluster.RunUntil([&] { return cluster.Leader().has_value(); }, std::chrono::seconds(5)));
  const uint64_t leader = *cluster.Leader();
  const uint64_t follower = leader == 1 ? 2 : 1;
  cluster.Stop(follower);
  std::vector<std::string> commands;
  for (int i = 0; i < 10; ++i) {
    commands.push_back("m" + std::to_string(i));
    auto outcome = cluster.Propose(leader, commands.back());
    ASSERT_TRUE(cluster.RunUntil([&] { return outcome->has_value(); }, std::chrono::seconds(2)));
    ASSERT_TRUE((*outcome)->ok()) << (*outcome)->status().ToString();
  }
  cluster.Restart(follower);
  ASSERT_TRUE(cluster.RunUntil(
      [&] { return cluster.machine(follower).commands().size() == commands.size(); },
      std::chrono::seconds(2)));
  EXPECT_EQ(cluster.machine(follower).commands(), commands);
  EXPECT_EQ(stores[follower]->last_index(), stores[leader]->last_index());
}

TEST(LogStoreRaftStorageTest, FollowerFarBehindInstallsASnapshotOnLevelDb) {
  LevelDbDisks disks;
  auto& stores = disks.stores;
  testing::ClusterOptions options;
  options.snapshot_threshold = 8;
  options.snapshot_trailing = 2;
  options.open_storage = [&](Env& env, uint64_t id) { return disks.Open(env, id); };
  testing::Cluster cluster(options);
  ASSERT_TRUE(
      cluster.RunUntil([&] { return cluster.Leader().has_value(); }, std::chrono::seconds(5)));
  const uint64_t leader = *cluster.Leader();
  const uint64_t follower = leader == 1 ? 2 : 1;
  cluster.Stop(follower);
  std::vector<std::string> commands;
  for (int i = 0; i < 30; ++i) {
    commands.push_back("m" + std::to_string(i));
    auto outcome = cluster.Propose(leader, commands.back());
    ASSERT_TRUE(cluster.RunUntil([&] { return outcome->has_value(); }, std::chrono::seconds(2)));
    ASSERT_TRUE((*outcome)->ok()) << (*outcome)->status().ToString();
  }
  EXPECT_GT(stores[leader]->first_index(), 2u);  // the leader compacted behind its snapshots
  cluster.Restart(follower);
  ASSERT_TRUE(cluster.RunUntil(
      [&] { return cluster.machine(follower).commands().size() == commands.size(); },
      std::chrono::seconds(3)));
  EXPECT_EQ(cluster.machine(follower).commands(), commands);
  EXPECT_GE(cluster.machine(follower).restores(), 1);
  // Restarted again, it loads the installed snapshot and what followed from LevelDB.
  cluster.Stop(follower);
  cluster.Restart(follower);
  ASSERT_TRUE(cluster.RunUntil(
      [&] { return cluster.machine(follower).commands().size() == commands.size(); },
      std::chrono::seconds(3)));
  EXPECT_EQ(cluster.machine(follower).commands(), commands);
}

}  // namespace
}  // namespace lifeboat::eventlog::raft
