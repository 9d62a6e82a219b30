// Appends at given indices (a Raft follower's AppendEntries): LogStore::AppendAt keeps what it
// holds, replaces a conflicting uncommitted suffix, refuses to rewrite a committed record; the
// group-commit writer runs it in queue order on its thread; projections follow the commit index,
// never the durable tail. Real LevelDB in a temp directory.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "eventlog/group_commit.h"
#include "eventlog/log_store.h"
#include "eventlog/projection_runner.h"
#include "eventlog/projection_worker.h"
#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::eventlog {
namespace {

using store_testing::LoopEnv;
using store_testing::TempDir;

std::unique_ptr<LogStore> OpenLog(const std::string& path) {
  LogStoreOptions options;
  options.path = path;
  Result<std::unique_ptr<LogStore>> store = LogStore::Open(options);
  LB_CHECK(store.ok());
  return std::move(store).value();
}

// Records from..through in `term`, payload "<tag><index>".
std::vector<LogRecord> Records(uint64_t from, uint64_t through, uint64_t term,
                               const std::string& tag) {
  std::vector<LogRecord> records;
  for (uint64_t index = from; index <= through; ++index) {
    records.push_back({index, term, tag + std::to_string(index)});
  }
  return records;
}

// "<term>:<payload>" of every record, in order.
std::vector<std::string> Contents(const LogStore& store) {
  std::vector<std::string> out;
  if (store.last_index() < store.first_index()) return out;
  Result<std::vector<LogRecord>> records =
      store.Read(store.first_index(), store.last_index(), SIZE_MAX);
  LB_CHECK(records.ok());
  for (const LogRecord& record : *records) {
    out.push_back(std::to_string(record.term) + ":" + record.payload);
  }
  return out;
}

TEST(AppendAtTest, HeldRecordsAreKeptAndAConflictReplacesTheSuffixDurably) {
  TempDir dir;
  {
    auto store = OpenLog(dir.path());
    ASSERT_TRUE(store->Append(Records(1, 3, 1, "a")).ok());
    ASSERT_TRUE(store->Append(Records(4, 6, 2, "b")).ok());

    // A repeated AppendEntries (same terms) changes nothing, even when shorter than the log.
    ASSERT_TRUE(store->AppendAt(Records(2, 3, 1, "a"), /*keep_through=*/3).ok());
    EXPECT_EQ(store->last_index(), 6u);
    // Held 4..5 match; 6 is new in term 2 already held, 7 extends the log.
    std::vector<LogRecord> extend = Records(4, 6, 2, "b");
    extend.push_back({7, 2, "b7"});
    ASSERT_TRUE(store->AppendAt(extend, 3).ok());
    EXPECT_EQ(store->last_index(), 7u);

    // A new leader of term 3 agrees through 4 and replaces 5..7 with two records.
    std::vector<LogRecord> leader = Records(4, 4, 2, "b");
    for (const LogRecord& record : Records(5, 6, 3, "c")) leader.push_back(record);
    ASSERT_TRUE(store->AppendAt(leader, /*keep_through=*/4).ok());
    EXPECT_EQ(store->last_index(), 6u);
    EXPECT_EQ(store->last_term(), 3u);
    EXPECT_EQ(store->Read(7, 7).status().code(), StatusCode::kNotFound);
  }
  auto store = OpenLog(dir.path());  // the replacement was one synced write
  EXPECT_EQ(Contents(*store),
            (std::vector<std::string>{"1:a1", "1:a2", "1:a3", "2:b4", "3:c5", "3:c6"}));
  EXPECT_EQ(store->last_term(), 3u);
}

TEST(AppendAtTest, ACommittedRecordIsNeverRewrittenAndBadInputWritesNothing) {
  TempDir dir;
  auto store = OpenLog(dir.path());
  ASSERT_TRUE(store->Append(Records(1, 4, 1, "a")).ok());
  const std::vector<std::string> before = Contents(*store);

  // 3 is committed (keep_through 3): a record of another term there is refused whole.
  Status rewrite = store->AppendAt(Records(3, 5, 2, "x"), /*keep_through=*/3);
  EXPECT_EQ(rewrite.code(), StatusCode::kFailedPrecondition) << rewrite.ToString();
  EXPECT_NE(rewrite.message().find("must be kept"), std::string::npos) << rewrite.ToString();
  // A gap after the last index.
  EXPECT_EQ(store->AppendAt(Records(6, 6, 1, "g"), 0).code(), StatusCode::kInvalidArgument);
  // Indices that are not consecutive.
  std::vector<LogRecord> holes = {{5, 1, "h5"}, {7, 1, "h7"}};
  EXPECT_EQ(store->AppendAt(holes, 0).code(), StatusCode::kInvalidArgument);
  // A term lower than the record before the first new one.
  ASSERT_TRUE(store->AppendAt(Records(5, 5, 2, "t"), 4).ok());
  EXPECT_EQ(store->AppendAt(Records(6, 6, 1, "t"), 4).code(), StatusCode::kInvalidArgument);
  // A payload over the limit.
  std::vector<LogRecord> huge = {{6, 2, std::string(kLogRecordPayloadBytesMax + 1, 'x')}};
  EXPECT_EQ(store->AppendAt(huge, 4).code(), StatusCode::kInvalidArgument);
  // Index 0 is no record.
  EXPECT_EQ(store->AppendAt(Records(0, 0, 1, "z"), 0).code(), StatusCode::kInvalidArgument);

  std::vector<std::string> expected = before;
  expected.push_back("2:t5");
  EXPECT_EQ(Contents(*store), expected);
}

TEST(AppendAtTest, CompactedRecordsAreSkippedAsCommitted) {
  TempDir dir;
  auto store = OpenLog(dir.path());
  ASSERT_TRUE(store->Append(Records(1, 5, 1, "a")).ok());
  ASSERT_TRUE(store->CompactPrefix(3).ok());
  // 2..3 are behind the snapshot: skipped unread (their payloads differ, nothing checks them);
  // 4 conflicts and replaces the suffix.
  std::vector<LogRecord> records = Records(2, 3, 1, "s");
  for (const LogRecord& record : Records(4, 6, 2, "n")) records.push_back(record);
  Status appended = store->AppendAt(records, /*keep_through=*/3);
  ASSERT_TRUE(appended.ok()) << appended.ToString();
  EXPECT_EQ(Contents(*store), (std::vector<std::string>{"2:n4", "2:n5", "2:n6"}));
}

TEST(AppendAtTest, TheWriterRunsItInQueueOrderAndReportsTheNewDurableIndex) {
  TempDir dir;
  auto store = OpenLog(dir.path());
  ASSERT_TRUE(store->Append(Records(1, 5, 1, "a")).ok());
  LoopEnv loop;
  GroupCommitWriter writer(loop, *store);
  std::vector<std::string> timeline;
  writer.AddDurableListener(
      [&](uint64_t durable) { timeline.push_back("durable " + std::to_string(durable)); });

  // Replace 4..5 with one record of term 2, then a proposal lands after it at 5, then a refused
  // AppendAt (it would rewrite the kept record 2) changes nothing.
  writer.AppendAt(Records(4, 4, 2, "b"), /*keep_through=*/3,
                  [&](Status status) { timeline.push_back("at " + status.ToString()); });
  writer.Append(2, "p", [&](Result<uint64_t> index) {
    timeline.push_back("proposal " +
                       (index.ok() ? std::to_string(*index) : index.status().ToString()));
  });
  writer.AppendAt(Records(2, 2, 5, "x"), /*keep_through=*/3, [&](Status status) {
    timeline.push_back("refused " + std::string(StatusCodeName(status.code())));
  });
  ASSERT_TRUE(loop.RunUntil([&] { return timeline.size() == 5; }));
  EXPECT_EQ(timeline, (std::vector<std::string>{"at OK", "durable 4", "proposal 5", "durable 5",
                                                "refused Failed precondition"}));
  EXPECT_EQ(writer.durable_last_index(), 5u);
  EXPECT_FALSE(writer.read_only());
  writer.Shutdown();
  EXPECT_EQ(Contents(*store), (std::vector<std::string>{"1:a1", "1:a2", "1:a3", "2:b4", "2:p"}));
}

// Remembers every index it folded.
class RecordingProjection : public Projection {
 public:
  std::string_view name() const override { return "recording"; }
  Status Apply(const events::Event& event, ProjectionState& state) override {
    state.Put("node/" + std::to_string(event.index()), event.node_id());
    folded.push_back(event.index());
    return Status::Ok();
  }
  std::vector<uint64_t> folded;
};

std::vector<LogRecord> EventRecords(uint64_t from, uint64_t through, uint64_t term,
                                    const std::string& node) {
  std::vector<LogRecord> records;
  for (uint64_t index = from; index <= through; ++index) {
    events::Event event;
    event.set_node_id(node);
    records.push_back({index, term, event.SerializeAsString()});
  }
  return records;
}

TEST(AppendAtTest, ProjectionsNeverApplyPastTheCommitIndex) {
  TempDir dir;
  auto store = OpenLog(dir.path() + "/log");
  // Durable through 8, committed through 5: 6..8 came from a leader that then lost its term.
  ASSERT_TRUE(store->Append(EventRecords(1, 8, 1, "old-leader")).ok());
  RecordingProjection recording;
  ProjectionRunnerOptions options;
  options.path = dir.path() + "/state";
  auto runner = ProjectionRunner::Open(options, {&recording});
  ASSERT_TRUE(runner.ok());
  LoopEnv loop;
  std::vector<uint64_t> applied;
  ProjectionWorker worker(loop, **runner, *store, [&](Result<uint64_t> index) {
    ASSERT_TRUE(index.ok());
    applied.push_back(*index);
  });
  worker.Start();
  worker.NotifyCommitted(5);
  ASSERT_TRUE(loop.RunUntil([&] { return !applied.empty() && applied.back() == 5; }));
  EXPECT_EQ((*runner)->applied_index(), 5u);
  EXPECT_EQ((*runner)->lag(5), 0u);

  // The new leader of term 2 replaces 6..8; once 7 is committed, exactly its records are folded.
  ASSERT_TRUE(store->AppendAt(EventRecords(6, 7, 2, "new-leader"), /*keep_through=*/5).ok());
  worker.NotifyCommitted(7);
  ASSERT_TRUE(loop.RunUntil([&] { return applied.back() == 7; }));
  worker.Stop();
  EXPECT_EQ(recording.folded, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7}));
  auto node_of_6 = (*runner)->Get("recording", "node/6");
  ASSERT_TRUE(node_of_6.ok() && node_of_6->has_value());
  EXPECT_EQ(**node_of_6, "new-leader");
}

}  // namespace
}  // namespace lifeboat::eventlog
