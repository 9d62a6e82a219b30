// Preallocated write-ahead logs on real files: the Env hands LevelDB zero-filled WAL files and
// keeps a spare ready; the log store on them keeps every synced record across reopen, drops a
// torn last record, and still reports damage to records that had been synced.

#include <gtest/gtest.h>
#include <leveldb/env.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "eventlog/log_store.h"
#include "eventlog/preallocated_wal_env.h"
#include "eventlog/wal_tail.h"
#include "simulator/manual_env.h"
#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::eventlog {
namespace {

using store_testing::TempDir;

constexpr uint64_t kSpareBytes = 3u << 20;

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string NewestWal(const std::string& dir) {
  std::string newest;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".log") newest = std::max(newest, entry.path().string());
  }
  return newest;
}

std::unique_ptr<PreallocatedWalEnv> OpenEnv(const std::string& dir) {
  Result<std::unique_ptr<PreallocatedWalEnv>> env =
      PreallocatedWalEnv::Open(leveldb::Env::Default(), PosixWalFileSystem(), {dir, kSpareBytes});
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  return env.ok() ? std::move(env).value() : nullptr;
}

TEST(PreallocatedWalEnvTest, HandsOutTheZeroFilledSpareAndMakesTheNext) {
  TempDir dir;
  auto env = OpenEnv(dir.path());
  ASSERT_NE(env, nullptr);
  const std::string spare = dir.path() + "/" + std::string(kWalSpareName);
  ASSERT_EQ(std::filesystem::file_size(spare), kSpareBytes);  // made by Open
  simulator::ManualEnv filler_env(1);
  env->StartFiller(filler_env);  // (a store does this once DB::Open holds the lock)
  EXPECT_EQ(filler_env.RunWorkers(), 0u) << "Open's spare is ready: nothing to fill";

  leveldb::WritableFile* raw = nullptr;
  ASSERT_TRUE(env->NewWritableFile(dir.path() + "/000003.log", &raw).ok());
  std::unique_ptr<leveldb::WritableFile> wal(raw);
  EXPECT_EQ(env->preallocated_files(), 1u);
  EXPECT_EQ(std::filesystem::file_size(dir.path() + "/000003.log"), kSpareBytes);

  // Appends land from offset 0, in order, across the 64 KiB buffer; the rest stays zeros.
  const std::string first(100, 'a');
  const std::string big(200000, 'b');
  ASSERT_TRUE(wal->Append(first).ok());
  ASSERT_TRUE(wal->Append(big).ok());
  ASSERT_TRUE(wal->Sync().ok());
  ASSERT_TRUE(wal->Append("tail").ok());
  ASSERT_TRUE(wal->Close().ok());
  const std::string bytes = ReadFile(dir.path() + "/000003.log");
  ASSERT_EQ(bytes.size(), kSpareBytes);
  EXPECT_EQ(bytes.substr(0, 100), first);
  EXPECT_EQ(bytes.substr(100, big.size()), big);
  EXPECT_EQ(bytes.substr(100 + big.size(), 4), "tail");
  const size_t written = 100 + big.size() + 4;
  EXPECT_EQ(bytes.find_first_not_of('\0', written), std::string::npos);

  EXPECT_FALSE(env->spare_ready());
  EXPECT_EQ(filler_env.RunWorkers(), 1u);  // the filler makes the next one
  ASSERT_TRUE(env->spare_ready());
  EXPECT_EQ(std::filesystem::file_size(spare), kSpareBytes);

  // Files that are not WALs are LevelDB's own.
  ASSERT_TRUE(env->NewWritableFile(dir.path() + "/MANIFEST-000002", &raw).ok());
  delete raw;
  EXPECT_EQ(std::filesystem::file_size(dir.path() + "/MANIFEST-000002"), 0u);
  EXPECT_EQ(env->preallocated_files(), 1u);
}

TEST(PreallocatedWalEnvTest, OpenTrimsWalsToTheirLastRecordAndReplacesALeftoverSpare) {
  TempDir dir;
  const std::string wal = dir.path() + "/000007.log";
  {
    LogStoreOptions options;
    options.path = dir.path();
    auto store = LogStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    LogRecord record{1, 1, std::string(3000, 'r')};
    ASSERT_TRUE((*store)->Append({&record, 1}).ok());
    // A copy of the live WAL, as a crash would leave it: the record, then zeros.
    std::filesystem::copy_file(NewestWal(dir.path()), dir.path() + "/copy");
  }
  std::filesystem::remove(NewestWal(dir.path()));
  std::filesystem::rename(dir.path() + "/copy", wal);
  const std::string before = ReadFile(wal);
  Result<uint64_t> end = wal::FindEnd(before);
  ASSERT_TRUE(end.ok());
  ASSERT_GT(*end, 3000u);
  ASSERT_GT(before.size(), *end);
  const std::string spare = dir.path() + "/" + std::string(kWalSpareName);
  WriteFile(spare, "half a spare");

  auto env = OpenEnv(dir.path());
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(ReadFile(wal), before.substr(0, *end));
  EXPECT_EQ(std::filesystem::file_size(spare), kSpareBytes);
}

TEST(PreallocatedWalEnvTest, LogHeldByARunningStoreIsNotTouched) {
  TempDir dir;
  LogStoreOptions options;
  options.path = dir.path();
  auto running = LogStore::Open(options);  // holds LevelDB's LOCK, as a running node does
  ASSERT_TRUE(running.ok()) << running.status().ToString();
  LogRecord record{1, 1, std::string(3000, 'r')};
  ASSERT_TRUE((*running)->Append({&record, 1}).ok());
  const std::string wal = NewestWal(dir.path());
  const std::string spare = dir.path() + "/" + std::string(kWalSpareName);
  ASSERT_TRUE((*running)->preallocated_wal_files() == 1);
  const std::string wal_before = ReadFile(wal);
  const auto spare_before = std::filesystem::exists(spare) ? ReadFile(spare) : std::string();

  // A second opener (the offline CLI while the node runs, or a second node) trims nothing and
  // touches no spare: the live WAL's zeros are where the running store writes next.
  Result<std::unique_ptr<PreallocatedWalEnv>> env = PreallocatedWalEnv::Open(
      leveldb::Env::Default(), PosixWalFileSystem(), {dir.path(), kSpareBytes});
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("lock"), std::string::npos) << env.status().ToString();
  options.preallocate_wal = false;
  Status second = LogStore::Open(options).status();
  EXPECT_FALSE(second.ok());
  EXPECT_NE(second.message().find("lock"), std::string::npos) << second.ToString();
  EXPECT_EQ(ReadFile(wal), wal_before);
  EXPECT_EQ(std::filesystem::exists(spare) ? ReadFile(spare) : std::string(), spare_before);

  LogRecord next{2, 1, std::string(3000, 's')};
  EXPECT_TRUE((*running)->Append({&next, 1}).ok());
}

TEST(PreallocatedWalEnvTest, DamagedWalFailsOpenAndIsLeftAsItWas) {
  TempDir dir;
  std::string bytes(100000, '\0');
  std::fill_n(bytes.begin(), 7, '\x01');  // a header that is neither zeros nor plausible
  WriteFile(dir.path() + "/000004.log", bytes);
  Result<std::unique_ptr<PreallocatedWalEnv>> env = PreallocatedWalEnv::Open(
      leveldb::Env::Default(), PosixWalFileSystem(), {dir.path(), kSpareBytes});
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), StatusCode::kCorruption);
  EXPECT_NE(env.status().message().find("000004.log"), std::string::npos)
      << env.status().ToString();
  EXPECT_EQ(ReadFile(dir.path() + "/000004.log"), bytes);
}

// --- The log store on preallocated WALs ---

// `env`: runs the spare filler; without one only Open's spare is used.
std::unique_ptr<LogStore> OpenStore(const std::string& path, size_t write_buffer_bytes = 8u << 20,
                                    Env* env = nullptr) {
  LogStoreOptions options;
  options.path = path;
  options.write_buffer_bytes = write_buffer_bytes;
  options.env = env;
  Result<std::unique_ptr<LogStore>> store = LogStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string Payload(uint64_t index, size_t bytes) {
  std::string payload = "record-" + std::to_string(index) + "-";
  while (payload.size() < bytes) payload.push_back(static_cast<char>('a' + payload.size() % 26));
  return payload;
}

void Append(LogStore& store, uint64_t index, size_t bytes) {
  LogRecord record{index, 1, Payload(index, bytes)};
  ASSERT_TRUE(store.Append({&record, 1}).ok()) << index;
}

void ExpectRecords(const LogStore& store, uint64_t through, size_t bytes) {
  ASSERT_EQ(store.last_index(), through);
  Result<std::vector<LogRecord>> records = store.Read(1, through, SIZE_MAX);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), through);
  for (const LogRecord& record : *records) {
    EXPECT_EQ(record.payload, Payload(record.index, bytes)) << "index " << record.index;
  }
}

TEST(PreallocatedWalStoreTest, RecordsSurviveReopenAcrossManyPreallocatedWals) {
  TempDir dir;
  constexpr size_t kWriteBuffer = 64u << 10;  // a new WAL every few dozen records
  constexpr uint64_t kRecords = 300;
  {
    simulator::ManualEnv filler_env(1);
    auto store = OpenStore(dir.path(), kWriteBuffer, &filler_env);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->preallocated_wal_files(), 1u);  // the first spare is made in Open
    for (uint64_t index = 1; index <= kRecords; ++index) {
      Append(*store, index, 3000);
      filler_env.RunWorkers();  // the filler keeps up: a spare is ready for every new WAL
    }
    EXPECT_GE(store->preallocated_wal_files(), 5u);
    EXPECT_EQ(store->plain_wal_files(), 0u);
  }
  auto store = OpenStore(dir.path(), kWriteBuffer);
  ASSERT_NE(store, nullptr);
  ExpectRecords(*store, kRecords, 3000);
}

TEST(PreallocatedWalStoreTest, TornLastRecordIsDroppedAndEarlierRecordsSurvive) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    for (uint64_t index = 1; index <= 5; ++index) Append(*store, index, 1000);
  }
  {
    auto store = OpenStore(dir.path());  // record 6 alone in the new WAL, over pages 0 to 4
    Append(*store, 6, 20000);
  }
  // The crash kept pages 0, 1, 3 and 4 of record 6 and lost page 2: zeros, as preallocated.
  const std::string wal = NewestWal(dir.path());
  std::string bytes = ReadFile(wal);
  ASSERT_GT(wal::FindEnd(bytes).value(), 4 * wal::kPageBytes);
  std::fill_n(bytes.begin() + 2 * wal::kPageBytes, wal::kPageBytes, '\0');
  WriteFile(wal, bytes);

  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  ExpectRecords(*store, 5, 1000);  // record 6 was never acknowledged
  Append(*store, 6, 20000);
  EXPECT_EQ(store->last_index(), 6u);
}

TEST(PreallocatedWalStoreTest, FlippedByteInTheLastRecordFailsOpenWithCorruption) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    for (uint64_t index = 1; index <= 5; ++index) Append(*store, index, 1000);
  }
  const std::string wal = NewestWal(dir.path());
  std::string bytes = ReadFile(wal);
  const uint64_t end = wal::FindEnd(bytes).value();
  bytes[end - 300] = static_cast<char>(bytes[end - 300] ^ 0x5a);
  WriteFile(wal, bytes);

  LogStoreOptions options;
  options.path = dir.path();
  Status status = LogStore::Open(options).status();
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.ToString();
  EXPECT_NE(status.message().find("checksum mismatch"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("opening log"), std::string::npos) << status.ToString();
}

}  // namespace
}  // namespace lifeboat::eventlog
