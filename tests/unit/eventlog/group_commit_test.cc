// Group commit: the loop thread proposes, the storage thread fsyncs batches, callbacks come back
// in index order after durability; limits and storage failures. The first fixture runs the
// writer's executor on a real thread (a sync held in the disk while the test appends); the
// second on a plain ManualEnv, where the test decides every interleaving of loop and storage.

#include "eventlog/group_commit.h"

#include <gtest/gtest.h>
#include <leveldb/env.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "simulator/fault_injection_env.h"
#include "simulator/manual_env.h"
#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::eventlog {
namespace {

using store_testing::LoopEnv;
using store_testing::TempDir;

constexpr auto kWaitBound = std::chrono::seconds(30);

// A log store on a fault-injection disk, for the writer under test (both fixtures below). The
// derived fixtures' members (the Env, the writer) go first at teardown: the writer before the
// store.
class StoreOnFaultDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    disk_ = std::make_unique<simulator::FaultInjectionEnv>(leveldb::Env::Default(), 7);
    LogStoreOptions options;
    options.path = dir_.path();
    options.leveldb_env = disk_.get();
    Result<std::unique_ptr<LogStore>> store = LogStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  TempDir dir_;
  std::unique_ptr<simulator::FaultInjectionEnv> disk_;
  std::unique_ptr<LogStore> store_;
};

class GroupCommitTest : public StoreOnFaultDiskTest {
 protected:
  void StartWriter(GroupCommitOptions options = {}) {
    writer_ = std::make_unique<GroupCommitWriter>(loop_, *store_, options);
  }

  void TearDown() override {
    if (writer_ != nullptr) {
      disk_->ReleaseSyncs();
      writer_->Shutdown();
      loop_.RunPosted();
    }
  }

  LoopEnv loop_;
  std::unique_ptr<GroupCommitWriter> writer_;
};

TEST_F(GroupCommitTest, ProposalsGetIncreasingIndicesInProposalOrderAfterDurability) {
  StartWriter();
  std::vector<uint64_t> durable_updates;
  writer_->AddDurableListener([&](uint64_t index) { durable_updates.push_back(index); });

  constexpr int kProposals = 500;
  std::vector<int> callback_order;
  std::vector<uint64_t> indices(kProposals, 0);
  bool all_durable_when_called = true;
  for (int i = 0; i < kProposals; ++i) {
    std::string payload = "proposal-" + std::to_string(i);
    writer_->Append(1, payload, [&, i, payload](Result<uint64_t> index) {
      ASSERT_TRUE(index.ok()) << index.status().ToString();
      callback_order.push_back(i);
      indices[i] = *index;
      // Durable means readable from the store, with the proposed bytes, before we are told.
      Result<std::vector<LogRecord>> record = store_->Read(*index, *index);
      all_durable_when_called &= record.ok() && record->front().payload == payload;
    });
  }
  ASSERT_TRUE(loop_.RunUntil([&] { return callback_order.size() == kProposals; }, kWaitBound));

  for (int i = 0; i < kProposals; ++i) {
    EXPECT_EQ(callback_order[i], i);
    EXPECT_EQ(indices[i], static_cast<uint64_t>(i + 1));
  }
  EXPECT_TRUE(all_durable_when_called);
  ASSERT_FALSE(durable_updates.empty());
  for (size_t i = 1; i < durable_updates.size(); ++i) {
    EXPECT_GT(durable_updates[i], durable_updates[i - 1]);
  }
  EXPECT_EQ(durable_updates.back(), static_cast<uint64_t>(kProposals));
  EXPECT_EQ(writer_->durable_last_index(), static_cast<uint64_t>(kProposals));

  // 500 proposals queued while the first fsync ran cannot have taken 500 fsyncs.
  GroupCommitStats stats = writer_->stats();
  EXPECT_EQ(stats.appended_events, static_cast<uint64_t>(kProposals));
  EXPECT_LT(stats.batches, static_cast<uint64_t>(kProposals));
  EXPECT_EQ(stats.batches, durable_updates.size());
  uint64_t histogram_batches = 0;
  for (uint64_t count : stats.batch_records_histogram) histogram_batches += count;
  EXPECT_EQ(histogram_batches, stats.batches);
  EXPECT_LT(stats.batch_records_histogram[0], stats.batches);  // some batch held > 1 record
}

TEST_F(GroupCommitTest, WorkQueuedBehindAnFsyncGoesOutAsOneBatch) {
  StartWriter();
  std::vector<Result<uint64_t>> results;
  auto record = [&](Result<uint64_t> index) { results.push_back(std::move(index)); };
  disk_->HoldSyncs();
  writer_->Append(1, "first", record);
  ASSERT_TRUE(disk_->WaitForHeldSync(kWaitBound));  // the storage thread sits in fsync
  for (int i = 0; i < 99; ++i) writer_->Append(1, "queued-" + std::to_string(i), record);
  EXPECT_EQ(loop_.RunPosted(), 0u);  // nothing acknowledged while the fsync is pending
  disk_->ReleaseSyncs();
  ASSERT_TRUE(loop_.RunUntil([&] { return results.size() == 100; }, kWaitBound));
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].ok());
    EXPECT_EQ(*results[i], i + 1);
  }
  GroupCommitStats stats = writer_->stats();
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.batch_records_histogram[0], 1u);  // "first" alone
  EXPECT_EQ(stats.batch_records_histogram[7], 1u);  // 99 records: 64 < 99 <= 128
}

TEST_F(GroupCommitTest, BatchesRespectTheRecordAndByteLimits) {
  GroupCommitOptions options;
  options.batch_records_max = 10;
  options.batch_bytes_max = 1000;
  StartWriter(options);
  int done = 0;
  disk_->HoldSyncs();
  writer_->Append(1, "first", [&](Result<uint64_t> index) { done += index.ok(); });
  ASSERT_TRUE(disk_->WaitForHeldSync(kWaitBound));
  for (int i = 0; i < 30; ++i) {
    writer_->Append(1, "r", [&](Result<uint64_t> index) { done += index.ok(); });
  }
  for (int i = 0; i < 4; ++i) {  // 600 bytes each: one per batch
    writer_->Append(1, std::string(600, 'b'), [&](Result<uint64_t> index) { done += index.ok(); });
  }
  disk_->ReleaseSyncs();
  ASSERT_TRUE(loop_.RunUntil([&] { return done == 35; }, kWaitBound));
  // "first" alone, the 30 small records in 3 batches of 10 (record limit), then the 600-byte
  // records one per batch (byte limit).
  EXPECT_EQ(writer_->stats().batches, 8u);
}

TEST_F(GroupCommitTest, FullQueueAnswersResourceExhaustedAtOnce) {
  GroupCommitOptions options;
  options.queue_bytes_max = 10'000;
  StartWriter(options);
  std::vector<Result<uint64_t>> results;
  auto record = [&](Result<uint64_t> index) { results.push_back(std::move(index)); };
  disk_->HoldSyncs();
  writer_->Append(1, std::string(4000, 'a'), record);  // in flight, still counted
  ASSERT_TRUE(disk_->WaitForHeldSync(kWaitBound));
  writer_->Append(1, std::string(4000, 'b'), record);  // queued: 8000 bytes
  writer_->Append(1, std::string(4000, 'c'), record);  // would be 12000: refused
  EXPECT_EQ(loop_.RunPosted(), 1u);                    // the refusal does not wait for the disk
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(results[0].status().message().find("limit 10000"), std::string::npos);
  disk_->ReleaseSyncs();
  ASSERT_TRUE(loop_.RunUntil([&] { return results.size() == 3; }, kWaitBound));
  EXPECT_EQ(*results[1], 1u);
  EXPECT_EQ(*results[2], 2u);
  // Room again once written.
  writer_->Append(1, std::string(9000, 'd'), record);
  ASSERT_TRUE(loop_.RunUntil([&] { return results.size() == 4; }, kWaitBound));
  EXPECT_EQ(*results[3], 3u);
}

TEST_F(GroupCommitTest, FsyncFailureFailsTheBatchAndMakesTheWriterReadOnly) {
  StartWriter();
  std::vector<Result<uint64_t>> results;
  auto record = [&](Result<uint64_t> index) { results.push_back(std::move(index)); };
  writer_->Append(1, "before", record);
  ASSERT_TRUE(loop_.RunUntil([&] { return results.size() == 1; }, kWaitBound));
  ASSERT_TRUE(results[0].ok());

  disk_->SetSyncError(true);
  writer_->Append(1, "during", record);
  ASSERT_TRUE(loop_.RunUntil([&] { return results.size() == 2; }, kWaitBound));
  EXPECT_EQ(results[1].status().code(), StatusCode::kIoError);
  EXPECT_TRUE(writer_->read_only());

  // The disk recovers, but we never retry fsync on the same file: still IoError.
  disk_->SetSyncError(false);
  writer_->Append(1, "after", record);
  ASSERT_TRUE(loop_.RunUntil([&] { return results.size() == 3; }, kWaitBound));
  EXPECT_EQ(results[2].status().code(), StatusCode::kIoError);
  EXPECT_NE(results[2].status().message().find("read-only"), std::string::npos);
  GroupCommitStats stats = writer_->stats();
  EXPECT_TRUE(stats.read_only);
  EXPECT_EQ(stats.appended_events, 1u);
  EXPECT_EQ(stats.failed_events, 2u);
  EXPECT_EQ(writer_->durable_last_index(), 1u);
}

TEST_F(GroupCommitTest, DiskFullIsAnIoErrorToo) {
  StartWriter();
  std::vector<Result<uint64_t>> results;
  disk_->SetNoSpace(true);
  writer_->Append(1, std::string(1000, 'x'),
                  [&](Result<uint64_t> index) { results.push_back(std::move(index)); });
  ASSERT_TRUE(loop_.RunUntil([&] { return results.size() == 1; }, kWaitBound));
  EXPECT_EQ(results[0].status().code(), StatusCode::kIoError);
  EXPECT_NE(results[0].status().message().find("No space left on device"), std::string::npos)
      << results[0].status().ToString();
  EXPECT_TRUE(writer_->read_only());
}

TEST_F(GroupCommitTest, ShutdownWritesWhatIsQueuedThenRefuses) {
  StartWriter();
  std::vector<Result<uint64_t>> results;
  auto record = [&](Result<uint64_t> index) { results.push_back(std::move(index)); };
  for (int i = 0; i < 50; ++i) writer_->Append(1, "queued", record);
  writer_->Shutdown();  // joins the storage thread: everything queued is written
  loop_.RunPosted();
  ASSERT_EQ(results.size(), 50u);
  for (size_t i = 0; i < results.size(); ++i) EXPECT_EQ(*results[i], i + 1);
  EXPECT_EQ(store_->last_index(), 50u);
  writer_->Append(1, "late", record);
  loop_.RunPosted();
  ASSERT_EQ(results.size(), 51u);
  EXPECT_EQ(results[50].status().code(), StatusCode::kUnavailable);
}

TEST_F(GroupCommitTest, LowerTermAndOversizePayloadAreRefusedAlone) {
  StartWriter();
  std::vector<Result<uint64_t>> results;
  auto record = [&](Result<uint64_t> index) { results.push_back(std::move(index)); };
  writer_->Append(2, "term two", record);
  ASSERT_TRUE(loop_.RunUntil([&] { return results.size() == 1; }, kWaitBound));
  disk_->HoldSyncs();
  writer_->Append(2, "first of batch", record);
  ASSERT_TRUE(disk_->WaitForHeldSync(kWaitBound));
  writer_->Append(2, "a", record);
  writer_->Append(1, "stale term", record);
  writer_->Append(2, "b", record);
  disk_->ReleaseSyncs();
  ASSERT_TRUE(loop_.RunUntil([&] { return results.size() == 5; }, kWaitBound));
  EXPECT_EQ(*results[0], 1u);
  EXPECT_EQ(*results[1], 2u);
  EXPECT_EQ(*results[2], 3u);
  EXPECT_EQ(results[3].status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*results[4], 4u);  // no hole where the refused record would have been

  writer_->Append(2, std::string(kLogRecordPayloadBytesMax + 1, 'x'), record);
  ASSERT_TRUE(loop_.RunUntil([&] { return results.size() == 6; }, kWaitBound));
  EXPECT_EQ(results[5].status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(writer_->read_only());
}

TEST_F(GroupCommitTest, ConcurrentReadersSeeOnlyDurableRecords) {
  StartWriter();
  int acknowledged = 0;
  for (int i = 0; i < 200; ++i) {
    writer_->Append(1, std::string(100, 'r'), [&](Result<uint64_t> index) {
      ASSERT_TRUE(index.ok());
      ++acknowledged;
    });
  }
  // Another thread reads while the storage thread appends (log_store.h: reads may run
  // concurrently with the single writer).
  std::atomic<bool> stop{false};
  std::atomic<int> bad_reads{0};
  std::thread reader([&] {
    while (!stop.load()) {
      const uint64_t last = store_->last_index();
      if (last == 0) continue;
      Result<std::vector<LogRecord>> records = store_->Read(1, last, SIZE_MAX);
      if (!records.ok() || records->size() != last) ++bad_reads;
    }
  });
  const bool finished = loop_.RunUntil([&] { return acknowledged == 200; }, kWaitBound);
  stop = true;
  reader.join();
  ASSERT_TRUE(finished);
  EXPECT_EQ(bad_reads.load(), 0);
}

// The writer under a ManualEnv: no thread; the drain task runs when the test runs the workers.
class GroupCommitManualEnvTest : public StoreOnFaultDiskTest {
 protected:
  void StartWriter(GroupCommitOptions options = {}) {
    writer_ = std::make_unique<GroupCommitWriter>(env_, *store_, options);
  }

  // A callback that records the result.
  GroupCommitWriter::Done Record() {
    return [this](Result<uint64_t> index) { results_.push_back(std::move(index)); };
  }

  simulator::ManualEnv env_{1};
  std::unique_ptr<GroupCommitWriter> writer_;
  std::vector<Result<uint64_t>> results_;
};

TEST_F(GroupCommitManualEnvTest, ProposalsMadeFromCallbacksJoinTheNextBatch) {
  StartWriter();
  // A proposer that proposes again from its callback, as an SMTP session does.
  writer_->Append(1, "first", [&](Result<uint64_t> index) {
    results_.push_back(std::move(index));
    writer_->Append(1, "from the callback", Record());
  });
  EXPECT_EQ(env_.pending_work(), 1u) << "the drain task is queued at once";
  EXPECT_EQ(env_.RunWorkers(), 1u);  // writes "first" alone
  EXPECT_EQ(store_->last_index(), 1u);
  EXPECT_TRUE(results_.empty()) << "the loop has not run the callback yet";

  // Proposed while the first batch's callbacks wait for the loop: no new batch starts yet.
  for (int i = 0; i < 5; ++i) writer_->Append(1, "queued-" + std::to_string(i), Record());
  EXPECT_EQ(env_.pending_work(), 0u) << "the next batch waits for the loop to deliver";

  // The loop delivers: the callback proposes, and only then is the next batch submitted.
  EXPECT_EQ(env_.RunPosted(), 1u);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(env_.pending_work(), 1u);
  EXPECT_EQ(env_.RunUntilIdle(), 2u);  // one drain task, one delivery
  ASSERT_EQ(results_.size(), 7u);
  for (size_t i = 0; i < results_.size(); ++i) EXPECT_EQ(*results_[i], i + 1);
  GroupCommitStats stats = writer_->stats();
  EXPECT_EQ(stats.batches, 2u) << "the callback's proposal rode with the five queued ones";
  EXPECT_EQ(stats.batch_records_histogram[0], 1u);  // "first"
  EXPECT_EQ(stats.batch_records_histogram[3], 1u);  // 6 records: 4 < 6 <= 8
}

TEST_F(GroupCommitManualEnvTest, AFullBatchDoesNotWaitForTheLoop) {
  GroupCommitOptions options;
  options.batch_records_max = 4;
  StartWriter(options);
  writer_->Append(1, "first", Record());
  EXPECT_EQ(env_.RunWorkers(), 1u);
  for (int i = 0; i < 3; ++i) writer_->Append(1, "r", Record());
  EXPECT_EQ(env_.pending_work(), 0u) << "three records: waits for the delivery";
  writer_->Append(1, "r", Record());
  EXPECT_EQ(env_.pending_work(), 1u) << "a full batch starts at once";
  EXPECT_EQ(env_.RunWorkers(), 1u);
  EXPECT_EQ(store_->last_index(), 5u);
  EXPECT_TRUE(results_.empty());
  EXPECT_EQ(env_.RunUntilIdle(), 2u);  // both batches' callbacks, in one delivery each
  ASSERT_EQ(results_.size(), 5u);
  for (size_t i = 0; i < results_.size(); ++i) EXPECT_EQ(*results_[i], i + 1);
}

TEST_F(GroupCommitManualEnvTest, ShutdownWritesEverythingWithoutTheLoopThenRefuses) {
  StartWriter();
  writer_->Append(1, "first", Record());
  EXPECT_EQ(env_.RunWorkers(), 1u);
  for (int i = 0; i < 9; ++i) writer_->Append(1, "queued", Record());
  Status at_status = Status::Unavailable("not called");
  LogRecord at_record;
  at_record.index = 11;
  at_record.term = 1;
  at_record.payload = "a follower's record";
  writer_->AppendAt({at_record}, 10, [&](Status status) { at_status = status; });
  writer_->Shutdown();  // the loop never delivered "first": shutting down does not wait for it
  EXPECT_EQ(store_->last_index(), 11u);
  EXPECT_EQ(env_.pending_work(), 0u);
  EXPECT_EQ(env_.RunPosted(), 3u);  // "first", the nine, the AppendAt
  ASSERT_EQ(results_.size(), 10u);
  for (size_t i = 0; i < results_.size(); ++i) EXPECT_EQ(*results_[i], i + 1);
  EXPECT_TRUE(at_status.ok()) << at_status.ToString();
  writer_->Append(1, "late", Record());
  EXPECT_EQ(env_.RunUntilIdle(), 1u);
  EXPECT_EQ(results_.back().status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace lifeboat::eventlog
