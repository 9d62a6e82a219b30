// LogPrefetcher: the read-ahead of long replays hands consecutive chunks, bounded in records and
// bytes, whose records equal LogStore::Read's; a corrupt record fails its whole chunk, stickily.
// Each test runs with the reader on a real thread and under a ManualEnv (the consumer then reads
// every chunk itself: nothing drives the executor).

#include "eventlog/log_prefetcher.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <memory>
#include <string>
#include <vector>

#include "eventlog/log_record_format.h"
#include "eventlog/log_store.h"
#include "simulator/manual_env.h"
#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::eventlog {
namespace {

using store_testing::TempDir;

constexpr uint64_t kRecords = 100;
constexpr size_t kPayloadBytes = 100;

std::string PayloadFor(uint64_t index) {
  std::string payload = "record-" + std::to_string(index) + "-";
  payload.resize(kPayloadBytes, 'p');
  return payload;
}

std::unique_ptr<LogStore> OpenWithRecords(const std::string& path) {
  LogStoreOptions options;
  options.path = path;
  Result<std::unique_ptr<LogStore>> store = LogStore::Open(options);
  LB_CHECK(store.ok());
  if ((*store)->last_index() == 0) {
    std::vector<LogRecord> records;
    for (uint64_t index = 1; index <= kRecords; ++index) {
      records.push_back({index, 1 + index / 50, PayloadFor(index)});
    }
    LB_CHECK((*store)->Append(records).ok());
  }
  return std::move(store).value();
}

// true: the reader runs on a thread (store_testing::LoopEnv); false: a plain ManualEnv.
class LogPrefetcherTest : public ::testing::TestWithParam<bool> {
 protected:
  Env& env() { return GetParam() ? static_cast<Env&>(threaded_) : manual_; }

  store_testing::LoopEnv threaded_;
  simulator::ManualEnv manual_{1};
};

INSTANTIATE_TEST_SUITE_P(ReaderThread, LogPrefetcherTest, ::testing::Bool());

TEST_P(LogPrefetcherTest, HandsConsecutiveChunksBoundedInRecordsAndBytes) {
  TempDir dir;
  auto log = OpenWithRecords(dir.path());
  Result<std::vector<LogRecord>> expected = log->Read(3, 97, SIZE_MAX);
  ASSERT_TRUE(expected.ok());
  // 16 records or 1000 payload bytes, whichever comes first: 10 records of 100 bytes.
  LogPrefetcher prefetcher(env(), *log, 3, 97, 16, 1000);
  std::vector<LogRecord> seen;
  while (seen.empty() || seen.back().index < 97) {
    Result<const LogChunk*> chunk = prefetcher.Next();
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    ASSERT_FALSE((*chunk)->empty());
    EXPECT_LE((*chunk)->size(), 10u);
    EXPECT_EQ((*chunk)->first_index(), seen.empty() ? 3u : seen.back().index + 1);
    for (size_t i = 0; i < (*chunk)->size(); ++i) {
      const LogRecordView record = (**chunk)[i];
      seen.push_back({record.index, record.term, std::string(record.payload)});
    }
  }
  ASSERT_EQ(seen.size(), expected->size());
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].index, (*expected)[i].index);
    EXPECT_EQ(seen[i].term, (*expected)[i].term);
    EXPECT_EQ(seen[i].payload, (*expected)[i].payload);
  }
}

TEST_P(LogPrefetcherTest, CorruptRecordFailsItsWholeChunkAndEveryLaterCall) {
  TempDir dir;
  OpenWithRecords(dir.path()).reset();
  {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), dir.path(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), format::RecordKey(40), "not a record").ok());
  }
  auto log = OpenWithRecords(dir.path());
  LogPrefetcher prefetcher(env(), *log, 1, kRecords, 16, SIZE_MAX);
  for (uint64_t first : {1u, 17u}) {  // 1-16 and 17-32 are intact
    Result<const LogChunk*> chunk = prefetcher.Next();
    ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
    EXPECT_EQ((*chunk)->first_index(), first);
    EXPECT_EQ((*chunk)->size(), 16u);
  }
  // 33-48 holds record 40: none of its records is handed out, 33-39 included.
  for (int call = 0; call < 2; ++call) {
    Result<const LogChunk*> chunk = prefetcher.Next();
    EXPECT_EQ(chunk.status().code(), StatusCode::kCorruption);
    EXPECT_NE(chunk.status().message().find("log record 40"), std::string::npos)
        << chunk.status().ToString();
  }
}

}  // namespace
}  // namespace lifeboat::eventlog
