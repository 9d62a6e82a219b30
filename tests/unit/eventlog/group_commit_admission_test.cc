// Group commit's batch admission hook (GroupCommitOptions::admit_batch, the disk reserve's way in):
// a refused batch writes nothing, its proposals get the refusal, the writer stays writable, and
// the next admitted batch continues the indices.

#include <gtest/gtest.h>
#include <leveldb/env.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "eventlog/group_commit.h"
#include "simulator/fault_injection_env.h"
#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::eventlog {
namespace {

using store_testing::LoopEnv;
using store_testing::TempDir;

constexpr auto kWaitBound = std::chrono::seconds(30);

TEST(GroupCommitAdmissionTest, ARefusedBatchWritesNothingAndTheWriterStaysWritable) {
  TempDir dir;
  LoopEnv loop;
  simulator::FaultInjectionEnv disk(leveldb::Env::Default(), 7);
  LogStoreOptions store_options;
  store_options.path = dir.path();
  store_options.leveldb_env = &disk;
  Result<std::unique_ptr<LogStore>> store = LogStore::Open(store_options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  std::atomic<bool> refuse{true};
  std::atomic<uint64_t> asked_first_index{0};
  std::atomic<size_t> asked_bytes{0};
  GroupCommitOptions options;
  options.admit_batch = [&](uint64_t first_index, size_t records, size_t bytes) {
    asked_first_index = first_index;
    asked_bytes = bytes;
    EXPECT_GE(records, 1u);
    return refuse ? Status::ResourceExhausted("disk reserve: test") : Status::Ok();
  };
  GroupCommitWriter writer(loop, **store, options);

  std::vector<Result<uint64_t>> results;
  writer.Append(1, "refused", [&](Result<uint64_t> index) { results.push_back(index); });
  ASSERT_TRUE(loop.RunUntil([&] { return results.size() == 1; }, kWaitBound));
  EXPECT_EQ(results[0].status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(asked_first_index.load(), 1u);
  EXPECT_EQ(asked_bytes.load(), std::string("refused").size());
  EXPECT_EQ((*store)->last_index(), 0u);  // nothing written
  EXPECT_FALSE(writer.read_only());
  EXPECT_EQ(writer.stats().failed_events, 1u);

  refuse = false;
  writer.Append(1, "admitted", [&](Result<uint64_t> index) { results.push_back(index); });
  ASSERT_TRUE(loop.RunUntil([&] { return results.size() == 2; }, kWaitBound));
  ASSERT_TRUE(results[1].ok()) << results[1].status().ToString();
  EXPECT_EQ(*results[1], 1u);
  EXPECT_EQ((*store)->last_index(), 1u);

  refuse = true;
  Status at_status = Status::Ok();
  bool at_done = false;
  std::vector<LogRecord> records(1);
  records[0].index = 2;
  records[0].term = 1;
  records[0].payload = "at";
  writer.AppendAt(records, 1, [&](Status status) {
    at_status = status;
    at_done = true;
  });
  ASSERT_TRUE(loop.RunUntil([&] { return at_done; }, kWaitBound));
  EXPECT_EQ(at_status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ((*store)->last_index(), 1u);
  EXPECT_FALSE(writer.read_only());
  writer.Shutdown();
  loop.RunPosted();
}

}  // namespace
}  // namespace lifeboat::eventlog
