// The log store on LevelDB: append and read back, recovery, torn and corrupt tails, suffix
// truncation, prefix compaction, metadata. Each test works in its own temp directory.

#include "eventlog/log_store.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "eventlog/crc32c.h"
#include "eventlog/log_record_format.h"
#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::eventlog {
namespace {

using store_testing::TempDir;

// `preallocate_wal` false: LevelDB's own WAL files, which a crash cuts short rather than leaving
// zeros after (preallocated_wal_test.cc covers the preallocated ones).
std::unique_ptr<LogStore> OpenOrDie(const std::string& path, bool preallocate_wal = true) {
  LogStoreOptions options;
  options.path = path;
  options.preallocate_wal = preallocate_wal;
  Result<std::unique_ptr<LogStore>> store = LogStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

Status OpenStatus(const std::string& path, bool preallocate_wal = true) {
  LogStoreOptions options;
  options.path = path;
  options.preallocate_wal = preallocate_wal;
  return LogStore::Open(options).status();
}

std::string PayloadFor(uint64_t index, size_t bytes = 100) {
  std::string payload = "record-" + std::to_string(index) + "-";
  while (payload.size() < bytes) payload.push_back(static_cast<char>('a' + payload.size() % 26));
  return payload;
}

// Appends index..through one record per call (one WAL record each), all in `term`.
void AppendEach(LogStore& store, uint64_t from, uint64_t through, uint64_t term,
                size_t bytes = 100) {
  for (uint64_t index = from; index <= through; ++index) {
    LogRecord record{index, term, PayloadFor(index, bytes)};
    ASSERT_TRUE(store.Append({&record, 1}).ok());
  }
}

// The newest LevelDB write-ahead log in `path` (the highest-numbered *.log).
std::string NewestWalFile(const std::string& path) {
  std::string newest;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".log" && name > std::filesystem::path(newest).filename()) {
      newest = entry.path().string();
    }
  }
  return newest;
}

void ExpectRecords(const LogStore& store, uint64_t from, uint64_t through, uint64_t term,
                   size_t bytes = 100) {
  Result<std::vector<LogRecord>> records = store.Read(from, through, SIZE_MAX);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), through - from + 1);
  for (const LogRecord& record : *records) {
    EXPECT_EQ(record.term, term);
    EXPECT_EQ(record.payload, PayloadFor(record.index, bytes)) << "index " << record.index;
  }
  EXPECT_EQ(records->front().index, from);
  EXPECT_EQ(records->back().index, through);
}

TEST(Crc32cTest, MatchesKnownCastagnoliVectors) {
  // RFC 3720 B.4 check value and LevelDB util/crc32c_test.cc vectors.
  EXPECT_EQ(crc32c::Value("123456789"), 0xe3069283u);
  EXPECT_EQ(crc32c::Value(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(crc32c::Value(std::string(32, '\xff')), 0x62a8ab43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c::Value(ascending), 0x46dd794eu);
  EXPECT_EQ(crc32c::Extend(crc32c::Value("hello "), "world"), crc32c::Value("hello world"));
  EXPECT_EQ(crc32c::Unmask(crc32c::Mask(0x12345678u)), 0x12345678u);
  EXPECT_NE(crc32c::Mask(0x12345678u), 0x12345678u);
}

TEST(Crc32cTest, HardwareAndTableVersionsAgree) {
  std::string data;
  uint64_t state = 1;
  for (size_t length = 0; length < 300; ++length) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    data.push_back(static_cast<char>(state >> 56));
    for (size_t offset = 0; offset < 9 && offset <= length; ++offset) {
      const std::string_view slice = std::string_view(data).substr(offset);
      ASSERT_EQ(crc32c::Extend(7, slice), crc32c::ExtendPortable(7, slice))
          << "length " << length << " offset " << offset;
    }
  }
  EXPECT_EQ(crc32c::ExtendPortable(0, "123456789"), 0xe3069283u);
}

TEST(LogStoreTest, EmptyLogStartsAtOne) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->first_index(), 1u);
  EXPECT_EQ(store->last_index(), 0u);
  EXPECT_EQ(store->last_term(), 0u);
  EXPECT_EQ(store->Read(1, 1).status().code(), StatusCode::kNotFound);
}

TEST(LogStoreTest, BatchAppendReadsBackInOrder) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  std::vector<LogRecord> batch;
  for (uint64_t index = 1; index <= 50; ++index) batch.push_back({index, 3, PayloadFor(index)});
  ASSERT_TRUE(store->Append(batch).ok());
  EXPECT_EQ(store->first_index(), 1u);
  EXPECT_EQ(store->last_index(), 50u);
  EXPECT_EQ(store->last_term(), 3u);
  ExpectRecords(*store, 1, 50, 3);
  ExpectRecords(*store, 20, 30, 3);
}

TEST(LogStoreTest, ReadStopsAfterMaxBytesButReturnsAtLeastOne) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  AppendEach(*store, 1, 10, 1, 100);
  Result<std::vector<LogRecord>> some = store->Read(1, 10, 250);
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->size(), 3u);  // 100 + 100 + 100 >= 250
  Result<std::vector<LogRecord>> one = store->Read(4, 10, 1);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().index, 4u);
  // `last` beyond the log is clamped; `first` beyond it is NotFound; last < first is invalid.
  Result<std::vector<LogRecord>> clamped = store->Read(9, 100, SIZE_MAX);
  ASSERT_TRUE(clamped.ok());
  EXPECT_EQ(clamped->size(), 2u);
  EXPECT_EQ(store->Read(11, 12).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Read(5, 4).status().code(), StatusCode::kInvalidArgument);
}

TEST(LogStoreTest, ReopenRecoversTheSameRecords) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    AppendEach(*store, 1, 5, 1);
    AppendEach(*store, 6, 20, 2);
  }
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->first_index(), 1u);
  EXPECT_EQ(store->last_index(), 20u);
  EXPECT_EQ(store->last_term(), 2u);
  ExpectRecords(*store, 1, 5, 1);
  ExpectRecords(*store, 6, 20, 2);
}

TEST(LogStoreTest, AppendRejectsGapsOversizeAndLowerTermsAndWritesNothing) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  AppendEach(*store, 1, 3, 5);

  LogRecord gap{5, 5, "x"};
  Status status = store->Append({&gap, 1});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("does not follow 3"), std::string::npos) << status.ToString();

  LogRecord repeated{3, 5, "x"};
  EXPECT_EQ(store->Append({&repeated, 1}).code(), StatusCode::kInvalidArgument);

  LogRecord lower_term{4, 4, "x"};
  status = store->Append({&lower_term, 1});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("term 4 is lower than term 5"), std::string::npos);

  std::vector<LogRecord> half_bad = {{4, 5, "ok"},
                                     {5, 5, std::string(kLogRecordPayloadBytesMax + 1, 'x')}};
  status = store->Append(half_bad);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("exceeds the limit"), std::string::npos);

  // All or nothing: record 4 of the refused batch is not there.
  EXPECT_EQ(store->last_index(), 3u);
  EXPECT_EQ(store->Read(4, 4).status().code(), StatusCode::kNotFound);
  LogRecord next{4, 6, "ok"};
  EXPECT_TRUE(store->Append({&next, 1}).ok());
  EXPECT_EQ(store->last_term(), 6u);
}

TEST(LogStoreTest, TornWalTailIsDroppedAndEarlierRecordsSurvive) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path(), /*preallocate_wal=*/false);
    AppendEach(*store, 1, 5, 1, 1000);
  }
  // The writer died in the middle of its last WAL record: cut the file inside it.
  const std::string wal = NewestWalFile(dir.path());
  ASSERT_FALSE(wal.empty());
  const auto size = std::filesystem::file_size(wal);
  ASSERT_GT(size, 500u);
  std::filesystem::resize_file(wal, size - 500);

  auto store = OpenOrDie(dir.path(), /*preallocate_wal=*/false);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->last_index(), 4u);  // record 5 was never acknowledged: gone, not garbage
  ExpectRecords(*store, 1, 4, 1, 1000);
  EXPECT_EQ(store->Read(5, 5).status().code(), StatusCode::kNotFound);
  LogRecord again{5, 1, PayloadFor(5, 1000)};
  EXPECT_TRUE(store->Append({&again, 1}).ok());
  ExpectRecords(*store, 1, 5, 1, 1000);
}

TEST(LogStoreTest, FlippedByteInLastWalRecordFailsOpenWithCorruption) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path(), /*preallocate_wal=*/false);
    AppendEach(*store, 1, 5, 1, 1000);
  }
  const std::string wal = NewestWalFile(dir.path());
  ASSERT_FALSE(wal.empty());
  const auto size = std::filesystem::file_size(wal);
  {
    std::fstream file(wal, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(size - 300));
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5a);
    file.seekp(static_cast<std::streamoff>(size - 300));
    file.write(&byte, 1);
  }
  Status status = OpenStatus(dir.path(), /*preallocate_wal=*/false);
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.ToString();
  EXPECT_NE(status.message().find("checksum mismatch"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("opening log"), std::string::npos) << status.ToString();
}

// Writes `value` under record key `index` with plain LevelDB, behind the store's back.
void RawPut(const std::string& path, uint64_t index, const std::string& value) {
  leveldb::DB* db = nullptr;
  leveldb::Options options;
  ASSERT_TRUE(leveldb::DB::Open(options, path, &db).ok());
  leveldb::WriteOptions sync;
  sync.sync = true;
  EXPECT_TRUE(db->Put(sync, format::RecordKey(index), value).ok());
  delete db;
}

void RawDelete(const std::string& path, uint64_t index) {
  leveldb::DB* db = nullptr;
  leveldb::Options options;
  ASSERT_TRUE(leveldb::DB::Open(options, path, &db).ok());
  leveldb::WriteOptions sync;
  sync.sync = true;
  EXPECT_TRUE(db->Delete(sync, format::RecordKey(index)).ok());
  delete db;
}

std::string WithFlippedPayloadByte(uint64_t term, const std::string& payload) {
  std::string value = format::EncodeRecordValue(term, payload);
  value.back() = static_cast<char>(value.back() ^ 1);
  return value;
}

TEST(LogStoreTest, WrongChecksumInsideTheLogFailsTheReadNamingTheIndex) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    AppendEach(*store, 1, 5, 1);
  }
  RawPut(dir.path(), 3, WithFlippedPayloadByte(1, PayloadFor(3)));
  auto store = OpenOrDie(dir.path());  // the ends are intact: Open checks only those
  ASSERT_NE(store, nullptr);
  ExpectRecords(*store, 1, 2, 1);
  Result<std::vector<LogRecord>> read = store->Read(1, 5);
  EXPECT_EQ(read.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(read.status().message(), "log record 3: checksum mismatch");
}

TEST(LogStoreTest, WrongChecksumOnTheLastRecordFailsOpen) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    AppendEach(*store, 1, 5, 1);
  }
  RawPut(dir.path(), 5, WithFlippedPayloadByte(1, PayloadFor(5)));
  Status status = OpenStatus(dir.path());
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_EQ(status.message(), "log record 5: checksum mismatch");
}

TEST(LogStoreTest, MissingRecordsAreCorruptionNotSkipped) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    AppendEach(*store, 1, 5, 1);
  }
  RawDelete(dir.path(), 3);
  {
    auto store = OpenOrDie(dir.path());
    ASSERT_NE(store, nullptr);
    Result<std::vector<LogRecord>> read = store->Read(2, 5);
    EXPECT_EQ(read.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(read.status().message(), "log record 3: missing");
  }
  RawDelete(dir.path(), 1);  // a gap at the start of the range
  Status status = OpenStatus(dir.path());
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_NE(status.message().find("log record 1: missing"), std::string::npos) << status.ToString();
}

TEST(LogStoreTest, TruncateSuffixRemovesTheTailDurably) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    AppendEach(*store, 1, 5, 1);
    AppendEach(*store, 6, 10, 2);
    EXPECT_EQ(store->TruncateSuffix(0).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store->TruncateSuffix(12).code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(store->TruncateSuffix(11).ok());  // nothing to remove
    ASSERT_TRUE(store->TruncateSuffix(5).ok());
    EXPECT_EQ(store->last_index(), 4u);
    EXPECT_EQ(store->last_term(), 1u);
    EXPECT_EQ(store->Read(5, 5).status().code(), StatusCode::kNotFound);
  }
  auto store = OpenOrDie(dir.path());
  EXPECT_EQ(store->last_index(), 4u);
  EXPECT_EQ(store->last_term(), 1u);
  ExpectRecords(*store, 1, 4, 1);
  // A new leader's records take the freed indices.
  AppendEach(*store, 5, 6, 3);
  ExpectRecords(*store, 5, 6, 3);
  ASSERT_TRUE(store->TruncateSuffix(1).ok());  // everything
  EXPECT_EQ(store->last_index(), 0u);
  EXPECT_EQ(store->last_term(), 0u);
}

TEST(LogStoreTest, CompactPrefixRecordsTheNewFirstIndex) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    AppendEach(*store, 1, 6, 1);
    AppendEach(*store, 7, 10, 2);
    ASSERT_TRUE(store->CompactPrefix(4).ok());
    EXPECT_EQ(store->first_index(), 5u);
    EXPECT_EQ(store->Read(4, 4).status().code(), StatusCode::kNotFound);
    EXPECT_TRUE(store->CompactPrefix(2).ok());  // already gone: no-op
    EXPECT_EQ(store->CompactPrefix(11).code(), StatusCode::kInvalidArgument);
  }
  {
    auto store = OpenOrDie(dir.path());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->first_index(), 5u);
    EXPECT_EQ(store->last_index(), 10u);
    ExpectRecords(*store, 5, 6, 1);
    ExpectRecords(*store, 7, 10, 2);
    ASSERT_TRUE(store->CompactPrefix(10).ok());  // everything: the log is empty but continues
    EXPECT_EQ(store->first_index(), 11u);
    EXPECT_EQ(store->last_index(), 10u);
    EXPECT_EQ(store->last_term(), 2u);
  }
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->first_index(), 11u);
  EXPECT_EQ(store->last_index(), 10u);
  EXPECT_EQ(store->last_term(), 2u);
  LogRecord lower{11, 1, "x"};
  EXPECT_EQ(store->Append({&lower, 1}).code(), StatusCode::kInvalidArgument);
  AppendEach(*store, 11, 12, 2);
  ExpectRecords(*store, 11, 12, 2);
  // Truncating back to the compaction point restores the compacted-through term.
  ASSERT_TRUE(store->TruncateSuffix(11).ok());
  EXPECT_EQ(store->last_term(), 2u);
}

TEST(LogStoreTest, MetaIsDurableAndTheStoresOwnNamesAreReserved) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    Result<std::optional<std::string>> absent = store->GetMeta("identity");
    ASSERT_TRUE(absent.ok());
    EXPECT_FALSE(absent->has_value());
    ASSERT_TRUE(store->PutMeta("identity", std::string("cluster\0id", 10)).ok());
    ASSERT_TRUE(store->PutMeta("raft.term", "7").ok());
    Status reserved = store->PutMeta("lifeboat.log.first_index", "x");
    EXPECT_EQ(reserved.code(), StatusCode::kInvalidArgument);
  }
  auto store = OpenOrDie(dir.path());
  Result<std::optional<std::string>> identity = store->GetMeta("identity");
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->value(), std::string("cluster\0id", 10));
  EXPECT_EQ(store->GetMeta("raft.term")->value(), "7");
  // Meta keys are not records.
  EXPECT_EQ(store->last_index(), 0u);
}

TEST(LogStoreTest, ApproximateBytesGrowsWithTheLog) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    std::vector<LogRecord> batch;
    uint64_t state = 88172645463325252ull;  // xorshift: payloads Snappy cannot shrink
    for (uint64_t index = 1; index <= 200; ++index) {
      std::string payload(10000, '\0');
      for (char& byte : payload) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        byte = static_cast<char>(state);
      }
      batch.push_back({index, 1, std::move(payload)});
    }
    ASSERT_TRUE(store->Append(batch).ok());
  }
  auto store = OpenOrDie(dir.path());  // recovery flushed the WAL into tables
  EXPECT_GT(store->ApproximateBytes(), 1'000'000u);
}

TEST(LogStoreTest, SecondOpenOfTheSameDirectoryIsRefused) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  Status second = OpenStatus(dir.path());
  EXPECT_FALSE(second.ok());
  EXPECT_NE(second.message().find("opening log"), std::string::npos);
}

}  // namespace
}  // namespace lifeboat::eventlog
