// LogStore::Visit, the zero-copy read path: it hands the same records as Read and reports
// checksum mismatches, gaps and out-of-range requests exactly like Read (same code, same message),
// handing over no record that failed its checks.

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <memory>
#include <string>
#include <vector>

#include "eventlog/log_record_format.h"
#include "eventlog/log_store.h"
#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::eventlog {
namespace {

using store_testing::TempDir;

std::unique_ptr<LogStore> OpenOrDie(const std::string& path) {
  LogStoreOptions options;
  options.path = path;
  Result<std::unique_ptr<LogStore>> store = LogStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string PayloadFor(uint64_t index) {
  return "payload-" + std::to_string(index) + "-" + std::string(index % 7 * 10, 'x');
}

void AppendRange(LogStore& store, uint64_t from, uint64_t through, uint64_t term) {
  std::vector<LogRecord> records;
  for (uint64_t index = from; index <= through; ++index) {
    records.push_back({index, term, PayloadFor(index)});
  }
  ASSERT_TRUE(store.Append(records).ok());
}

// Behind the store's back, with plain LevelDB: a wrong value under a right key (a bad restore),
// or a record gone from the middle.
void RawPut(const std::string& path, uint64_t index, const std::string& value) {
  leveldb::DB* db = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), path, &db).ok());
  EXPECT_TRUE(db->Put(leveldb::WriteOptions(), format::RecordKey(index), value).ok());
  delete db;
}

void RawDelete(const std::string& path, uint64_t index) {
  leveldb::DB* db = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), path, &db).ok());
  EXPECT_TRUE(db->Delete(leveldb::WriteOptions(), format::RecordKey(index)).ok());
  delete db;
}

// What a visit saw: copies of the records handed over, and how it ended.
struct Visited {
  std::vector<LogRecord> records;
  Result<uint64_t> result = Status::Aborted("not run");
};

Visited VisitAll(const LogStore& store, uint64_t first, uint64_t last,
                 LogReadPattern pattern = LogReadPattern::kRecent) {
  Visited visited;
  visited.result = store.Visit(
      first, last,
      [&](const LogRecordView& record) -> Result<VisitNext> {
        visited.records.push_back({record.index, record.term, std::string(record.payload)});
        return VisitNext::kContinue;
      },
      pattern);
  return visited;
}

TEST(LogStoreVisitTest, HandsTheSameRecordsAsReadAndReturnsTheLastIndex) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  AppendRange(*store, 1, 40, 1);
  AppendRange(*store, 41, 60, 3);
  Result<std::vector<LogRecord>> read = store->Read(5, 60, SIZE_MAX);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  for (LogReadPattern pattern : {LogReadPattern::kRecent, LogReadPattern::kBulk}) {
    Visited visited = VisitAll(*store, 5, 60, pattern);
    ASSERT_TRUE(visited.result.ok()) << visited.result.status().ToString();
    EXPECT_EQ(*visited.result, 60u);
    ASSERT_EQ(visited.records.size(), read->size());
    for (size_t i = 0; i < read->size(); ++i) {
      EXPECT_EQ(visited.records[i].index, (*read)[i].index);
      EXPECT_EQ(visited.records[i].term, (*read)[i].term);
      EXPECT_EQ(visited.records[i].payload, (*read)[i].payload);
    }
  }
  // `last` is clamped to last_index(), as Read does.
  Visited clamped = VisitAll(*store, 59, 1000);
  ASSERT_TRUE(clamped.result.ok());
  EXPECT_EQ(*clamped.result, 60u);
  EXPECT_EQ(clamped.records.size(), 2u);
  EXPECT_EQ(clamped.records[1].term, 3u);
}

TEST(LogStoreVisitTest, StopsWhenTheVisitorSaysSoAndPassesItsErrorUnchanged) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  AppendRange(*store, 1, 10, 1);
  std::vector<uint64_t> seen;
  Result<uint64_t> stopped = store->Visit(1, 10, [&](const LogRecordView& record) {
    seen.push_back(record.index);
    return record.index == 4 ? VisitNext::kStop : VisitNext::kContinue;
  });
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(*stopped, 4u);
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4}));

  seen.clear();
  Result<uint64_t> failed =
      store->Visit(3, 10, [&](const LogRecordView& record) -> Result<VisitNext> {
        seen.push_back(record.index);
        if (record.index == 5) return Status::ResourceExhausted("visitor is full");
        return VisitNext::kContinue;
      });
  EXPECT_EQ(failed.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(failed.status().message(), "visitor is full");
  EXPECT_EQ(seen, (std::vector<uint64_t>{3, 4, 5}));
}

TEST(LogStoreVisitTest, OutOfRangeRequestsFailLikeRead) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(VisitAll(*store, 1, 1).result.status().code(), StatusCode::kNotFound);  // empty log
  AppendRange(*store, 1, 10, 1);
  ASSERT_TRUE(store->CompactPrefix(3).ok());
  for (auto [first, last] : {std::pair<uint64_t, uint64_t>{2, 5}, {11, 12}, {6, 5}}) {
    Visited visited = VisitAll(*store, first, last);
    Status read = store->Read(first, last).status();
    EXPECT_FALSE(read.ok());
    EXPECT_EQ(visited.result.status().code(), read.code()) << first << ".." << last;
    EXPECT_EQ(visited.result.status().message(), read.message());
    EXPECT_TRUE(visited.records.empty());
  }
}

TEST(LogStoreVisitTest, ChecksumMismatchIsCorruptionNamingTheIndexExactlyLikeRead) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    AppendRange(*store, 1, 6, 1);
  }
  std::string value = format::EncodeRecordValue(1, PayloadFor(4));
  value.back() = static_cast<char>(value.back() ^ 1);
  RawPut(dir.path(), 4, value);
  auto store = OpenOrDie(dir.path());  // the ends are intact: Open checks only those
  ASSERT_NE(store, nullptr);
  for (LogReadPattern pattern : {LogReadPattern::kRecent, LogReadPattern::kBulk}) {
    Visited visited = VisitAll(*store, 2, 6, pattern);
    EXPECT_EQ(visited.result.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(visited.result.status().message(), "log record 4: checksum mismatch");
    EXPECT_EQ(visited.result.status().message(), store->Read(2, 6).status().message());
    // The damaged record is never handed over; the ones before it were, checked.
    ASSERT_EQ(visited.records.size(), 2u);
    EXPECT_EQ(visited.records[1].index, 3u);
    EXPECT_EQ(visited.records[1].payload, PayloadFor(3));
  }
  // A value too short to hold its header is reported the same way as by Read.
  store.reset();  // LevelDB's LOCK: one opener at a time
  RawPut(dir.path(), 4, "short");
  store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  Visited short_value = VisitAll(*store, 1, 6);
  EXPECT_EQ(short_value.result.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(short_value.result.status().message(), store->Read(1, 6).status().message());
  EXPECT_NE(short_value.result.status().message().find("log record 4"), std::string::npos);
  EXPECT_EQ(short_value.records.size(), 3u);
}

TEST(LogStoreVisitTest, MissingRecordIsCorruptionNotSkippedExactlyLikeRead) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    AppendRange(*store, 1, 6, 1);
  }
  RawDelete(dir.path(), 3);
  RawDelete(dir.path(), 4);
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  Visited visited = VisitAll(*store, 2, 6);
  EXPECT_EQ(visited.result.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(visited.result.status().message(), "log record 3: missing");
  EXPECT_EQ(visited.result.status().message(), store->Read(2, 6).status().message());
  ASSERT_EQ(visited.records.size(), 1u);  // record 2; nothing after the gap
  EXPECT_EQ(visited.records[0].index, 2u);
  // A gap at the start of the range, too.
  Visited from_gap = VisitAll(*store, 4, 6);
  EXPECT_EQ(from_gap.result.status().message(), "log record 4: missing");
  EXPECT_TRUE(from_gap.records.empty());
}

}  // namespace
}  // namespace lifeboat::eventlog
