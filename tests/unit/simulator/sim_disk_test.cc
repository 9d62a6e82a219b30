// The simulated disk under the real log store: LevelDB's background work runs as world work (no
// thread, no hang), records synced before a crash survive it, and the faults reach the store.
#include "simulator/sim_disk.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "eventlog/log_store.h"
#include "simulator/world.h"

namespace lifeboat::simulator {
namespace {

eventlog::LogStoreOptions OptionsOn(SimDisk& disk, Env* env) {
  eventlog::LogStoreOptions options;
  options.path = disk.root() + "/log";
  options.leveldb_env = disk.env();
  options.wal_file_system = disk.files();
  options.sync_directory = [&disk](const std::string& directory) {
    return disk.SyncDirectory(directory);
  };
  options.write_buffer_bytes = 64u << 10;  // flushes and compactions within the test
  options.wal_spare_bytes = 96u << 10;
  options.env = env;
  return options;
}

std::unique_ptr<eventlog::LogStore> Open(SimDisk& disk, Env* env) {
  Result<std::unique_ptr<eventlog::LogStore>> log = eventlog::LogStore::Open(OptionsOn(disk, env));
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  disk.RunScheduled();
  return log.ok() ? std::move(log).value() : nullptr;
}

Status AppendOne(World& world, eventlog::LogStore& log, const std::string& payload) {
  // As a storage task: one world event, after which the disk runs what LevelDB scheduled.
  Status status = Status::Ok();
  SimEnv env(world, "writer");
  std::unique_ptr<SerialExecutor> storage = env.NewSerialExecutor("storage");
  bool done = false;
  storage->Submit([&] {
    std::vector<eventlog::LogRecord> records = {{log.last_index() + 1, 1, payload}};
    status = log.Append(records);
    done = true;
  });
  EXPECT_TRUE(world.RunUntil([&] { return done; }, std::chrono::seconds(1)));
  return status;
}

TEST(SimDiskTest, CompactionsRunAsWorldWorkAndSyncedRecordsSurviveACrash) {
  World world(11);
  SimEnv node(world, "n1");
  SimDisk disk(world, "/n1");
  std::unique_ptr<eventlog::LogStore> log = Open(disk, &node);
  ASSERT_NE(log, nullptr);
  size_t background_jobs = 0;
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(AppendOne(world, *log, std::string(2000, 'a' + i % 26)).ok()) << i;
    background_jobs += disk.scheduled();  // always 0: the world ran them after the event
  }
  EXPECT_EQ(background_jobs, 0u);
  EXPECT_GT(disk.jobs_run(), 2u);  // memtable flushes and compactions did run
  EXPECT_EQ(log->last_index(), 400u);
  disk.faults().CrashNow();
  log.reset();
  ASSERT_TRUE(disk.faults().SimulateCrash().ok());
  log = Open(disk, &node);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_index(), 400u);
  Result<std::vector<eventlog::LogRecord>> last = log->Read(400, 400);
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ((*last)[0].payload, std::string(2000, 'a' + 399 % 26));
  log.reset();
}

TEST(SimDiskTest, AFullDiskAndAFailingSyncRefuseAppends) {
  World world(12);
  SimEnv node(world, "n1");
  SimDisk disk(world, "/n1");
  std::unique_ptr<eventlog::LogStore> log = Open(disk, &node);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(AppendOne(world, *log, "first").ok());
  disk.faults().SetNoSpace(true);
  EXPECT_FALSE(AppendOne(world, *log, "refused").ok());
  uint64_t free_bytes = 1;
  ASSERT_TRUE(disk.files()->FreeBytes(disk.root(), &free_bytes).ok());
  EXPECT_EQ(free_bytes, 0u);
  disk.faults().SetNoSpace(false);
  log.reset();  // LevelDB refuses every write after an error: a restart clears it
  log = Open(disk, &node);
  ASSERT_NE(log, nullptr);
  disk.faults().SetSyncError(true);
  EXPECT_FALSE(AppendOne(world, *log, "unsynced").ok());
  log.reset();
}

TEST(SimDiskTest, ATornCrashKeepsAPrefixAndTheStoreReopens) {
  World world(13);
  SimEnv node(world, "n1");
  SimDisk disk(world, "/n1");
  std::unique_ptr<eventlog::LogStore> log = Open(disk, &node);
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(AppendOne(world, *log, std::string(3000, 'x')).ok());
  disk.faults().ScheduleCrash(1);  // the next write is torn
  EXPECT_FALSE(AppendOne(world, *log, std::string(9000, 'y')).ok());
  EXPECT_TRUE(disk.faults().crashed());
  log.reset();
  ASSERT_TRUE(disk.faults().SimulateCrash(FaultInjectionEnv::CrashMode::kKeepRandomUnsynced).ok());
  log = Open(disk, &node);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_index(), 50u);  // the torn record was never acknowledged
  log.reset();
}

TEST(SimDiskTest, FreeBytesCountsWhatTheStoresHold) {
  World world(14);
  SimDisk disk(world, "/n1", /*capacity_bytes=*/10u << 20);
  uint64_t before = 0;
  ASSERT_TRUE(disk.files()->FreeBytes(disk.root(), &before).ok());
  EXPECT_EQ(before, 10u << 20);
  std::unique_ptr<eventlog::LogStore> log = Open(disk, nullptr);
  ASSERT_NE(log, nullptr);
  uint64_t after = 0;
  ASSERT_TRUE(disk.files()->FreeBytes(disk.root(), &after).ok());
  EXPECT_LT(after, before);  // the zero-filled WAL spare
  log.reset();
}

}  // namespace
}  // namespace lifeboat::simulator
