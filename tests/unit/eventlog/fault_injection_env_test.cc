// The fault-injection disk itself: what it keeps and what it forgets at a simulated crash.

#include "simulator/fault_injection_env.h"

#include <gtest/gtest.h>
#include <leveldb/env.h>

#include <filesystem>
#include <memory>
#include <string>

#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::simulator {
namespace {

using eventlog::store_testing::TempDir;

std::unique_ptr<leveldb::WritableFile> Create(FaultInjectionEnv& env, const std::string& name) {
  leveldb::WritableFile* file = nullptr;
  EXPECT_TRUE(env.NewWritableFile(name, &file).ok());
  return std::unique_ptr<leveldb::WritableFile>(file);
}

uint64_t SizeOf(const std::string& name) {
  return std::filesystem::file_size(name);
}

TEST(FaultInjectionEnvTest, CrashCutsFilesBackToTheirSyncedSize) {
  TempDir dir;
  FaultInjectionEnv env(leveldb::Env::Default(), 1);
  const std::string name = dir.path() + "/data";
  auto file = Create(env, name);
  ASSERT_TRUE(env.SyncDirectory(dir.path()).ok());  // the name itself is durable
  ASSERT_TRUE(file->Append("synced-part").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("lost-part").ok());
  ASSERT_TRUE(file->Close().ok());
  file.reset();
  EXPECT_EQ(SizeOf(name), 20u);
  ASSERT_TRUE(env.SimulateCrash().ok());
  EXPECT_EQ(SizeOf(name), 11u);
}

TEST(FaultInjectionEnvTest, FilesWhoseDirectoryWasNotSyncedDisappear) {
  TempDir dir;
  FaultInjectionEnv env(leveldb::Env::Default(), 1);
  const std::string unnamed = dir.path() + "/000001.log";
  auto file = Create(env, unnamed);
  ASSERT_TRUE(file->Append("data").ok());
  ASSERT_TRUE(file->Sync().ok());  // data synced, but never the directory entry
  file.reset();
  // A synced MANIFEST syncs its directory (LevelDB's SyncDirIfManifest): files created before it
  // keep their names, files created after it do not.
  const std::string named = dir.path() + "/000002.ldb";
  auto table = Create(env, named);
  ASSERT_TRUE(table->Sync().ok());
  auto manifest = Create(env, dir.path() + "/MANIFEST-000003");
  ASSERT_TRUE(manifest->Append("edit").ok());
  ASSERT_TRUE(manifest->Sync().ok());
  const std::string late = dir.path() + "/000004.log";
  auto late_file = Create(env, late);
  ASSERT_TRUE(late_file->Append("late").ok());
  ASSERT_TRUE(late_file->Sync().ok());
  table.reset();
  manifest.reset();
  late_file.reset();
  ASSERT_TRUE(env.SimulateCrash().ok());
  EXPECT_TRUE(std::filesystem::exists(unnamed));  // synced along with the MANIFEST's directory
  EXPECT_TRUE(std::filesystem::exists(named));
  EXPECT_FALSE(std::filesystem::exists(late));
}

TEST(FaultInjectionEnvTest, InjectedErrorsAndDiskFull) {
  TempDir dir;
  FaultInjectionEnv env(leveldb::Env::Default(), 1);
  auto file = Create(env, dir.path() + "/data");
  env.SetWriteError(true);
  EXPECT_TRUE(file->Append("x").IsIOError());
  env.SetWriteError(false);
  env.SetSyncError(true);
  EXPECT_TRUE(file->Append("x").ok());
  EXPECT_TRUE(file->Sync().IsIOError());
  env.SetSyncError(false);
  env.SetNoSpace(true);
  leveldb::Status full = file->Append("x");
  EXPECT_TRUE(full.IsIOError());
  EXPECT_NE(full.ToString().find("No space left on device"), std::string::npos);
  leveldb::WritableFile* refused = nullptr;
  EXPECT_TRUE(env.NewWritableFile(dir.path() + "/other", &refused).IsIOError());
  EXPECT_EQ(refused, nullptr);
}

TEST(FaultInjectionEnvTest, ScheduledCrashTearsTheWriteAndStopsTheDisk) {
  TempDir dir;
  FaultInjectionEnv env(leveldb::Env::Default(), 3);
  const std::string name = dir.path() + "/data";
  auto file = Create(env, name);
  ASSERT_TRUE(env.SyncDirectory(dir.path()).ok());
  env.ScheduleCrash(3);  // operations: the append, the sync, then the crash at the next append
  ASSERT_TRUE(file->Append(std::string(100, 'a')).ok());
  ASSERT_TRUE(file->Sync().ok());
  EXPECT_FALSE(env.crashed());
  EXPECT_TRUE(file->Append(std::string(1000, 'b')).IsIOError());
  EXPECT_TRUE(env.crashed());
  EXPECT_TRUE(file->Sync().IsIOError());
  EXPECT_TRUE(env.RemoveFile(name).IsIOError());  // a dead process deletes nothing
  ASSERT_TRUE(file->Close().ok());
  file.reset();
  EXPECT_LT(SizeOf(name), 1100u);  // only a prefix of the torn write landed
  ASSERT_TRUE(env.SimulateCrash().ok());
  EXPECT_EQ(SizeOf(name), 100u);
  EXPECT_FALSE(env.crashed());  // the disk works again for the reopen
}

TEST(FaultInjectionEnvTest, KeepRandomUnsyncedKeepsAPrefixOfTheUnsyncedTail) {
  TempDir dir;
  FaultInjectionEnv env(leveldb::Env::Default(), 5);
  const std::string name = dir.path() + "/data";
  auto file = Create(env, name);
  ASSERT_TRUE(env.SyncDirectory(dir.path()).ok());
  ASSERT_TRUE(file->Append(std::string(100, 'a')).ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append(std::string(100000, 'b')).ok());
  file.reset();
  ASSERT_TRUE(env.SimulateCrash(FaultInjectionEnv::CrashMode::kKeepRandomUnsynced).ok());
  EXPECT_GE(SizeOf(name), 100u);
  EXPECT_LE(SizeOf(name), 100100u);
}

// --- In-place writes: the preallocated WAL's file layer (eventlog/wal_file_system.h) ---

std::string ReadAll(const std::string& name) {
  std::string bytes;
  EXPECT_TRUE(leveldb::ReadFileToString(leveldb::Env::Default(), name, &bytes).ok());
  return bytes;
}

// A zero-filled, synced file of `bytes`, made through `env` with a durable name (as the spare).
void MakeZeroFilled(FaultInjectionEnv& env, const std::string& name, size_t bytes) {
  auto file = Create(env, name);
  ASSERT_TRUE(file->Append(std::string(bytes, '\0')).ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Close().ok());
  ASSERT_TRUE(env.SyncDirectory(name.substr(0, name.rfind('/'))).ok());
}

std::unique_ptr<eventlog::OverwriteFile> OpenInPlace(FaultInjectionEnv& env,
                                                     const std::string& name) {
  std::unique_ptr<eventlog::OverwriteFile> file;
  EXPECT_TRUE(env.NewOverwriteFile(name, &file).ok());
  return file;
}

TEST(FaultInjectionEnvTest, CrashPutsUnsyncedInPlaceWritesBackToTheirSyncedContent) {
  TempDir dir;
  FaultInjectionEnv env(leveldb::Env::Default(), 1);
  const std::string name = dir.path() + "/000005.log";
  MakeZeroFilled(env, name, 3 * 4096);
  auto file = OpenInPlace(env, name);
  ASSERT_TRUE(file->WriteAt(0, std::string(5000, 's')).ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->WriteAt(5000, std::string(6000, 'u')).ok());   // never synced
  ASSERT_TRUE(file->WriteAt(11000, std::string(3000, 'g')).ok());  // grows the file past 12288
  ASSERT_TRUE(file->Close().ok());
  file.reset();
  ASSERT_EQ(SizeOf(name), 14000u);
  ASSERT_TRUE(env.SimulateCrash().ok());
  // The synced bytes stay, the overwritten zeros come back, the growth is gone.
  EXPECT_EQ(ReadAll(name), std::string(5000, 's') + std::string(3 * 4096 - 5000, '\0'));
}

TEST(FaultInjectionEnvTest, TornInPlaceWriteKeepsWholePagesBeforeTheCut) {
  bool saw_some_kept = false;
  bool saw_some_lost = false;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    TempDir dir;
    FaultInjectionEnv env(leveldb::Env::Default(), seed);
    const std::string name = dir.path() + "/000005.log";
    MakeZeroFilled(env, name, 4 * 4096);
    auto file = OpenInPlace(env, name);
    ASSERT_TRUE(file->WriteAt(0, std::string(1000, 's')).ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->WriteAt(1000, std::string(10000, 'u')).ok());
    file.reset();
    ASSERT_TRUE(env.SimulateCrash(FaultInjectionEnv::CrashMode::kKeepRandomUnsynced).ok());
    const std::string bytes = ReadAll(name);
    ASSERT_EQ(bytes.size(), 4u * 4096);
    EXPECT_EQ(bytes.substr(0, 1000), std::string(1000, 's'));
    // The unsynced bytes survive up to a page boundary (or the write's end), zeros after it.
    const size_t kept_end = bytes.find('\0', 1000);
    ASSERT_NE(kept_end, std::string::npos);
    EXPECT_TRUE(kept_end == 1000 || kept_end % 4096 == 0 || kept_end == 11000) << kept_end;
    EXPECT_EQ(bytes.substr(1000, kept_end - 1000), std::string(kept_end - 1000, 'u'));
    EXPECT_EQ(bytes.substr(kept_end), std::string(bytes.size() - kept_end, '\0'));
    saw_some_kept = saw_some_kept || kept_end > 1000;
    saw_some_lost = saw_some_lost || kept_end < 11000;
  }
  EXPECT_TRUE(saw_some_kept);
  EXPECT_TRUE(saw_some_lost);
}

TEST(FaultInjectionEnvTest, InPlaceWritesCountTowardsAScheduledCrash) {
  TempDir dir;
  FaultInjectionEnv env(leveldb::Env::Default(), 3);
  const std::string name = dir.path() + "/000005.log";
  MakeZeroFilled(env, name, 4096);
  auto file = OpenInPlace(env, name);
  env.ScheduleCrash(2);
  ASSERT_TRUE(file->WriteAt(0, "first").ok());
  EXPECT_FALSE(file->Sync().ok());  // the crash point: the sync does not happen
  EXPECT_TRUE(env.crashed());
  EXPECT_FALSE(file->WriteAt(5, "after").ok());
  std::unique_ptr<eventlog::OverwriteFile> refused;
  EXPECT_FALSE(env.NewOverwriteFile(name, &refused).ok());
  file.reset();
  ASSERT_TRUE(env.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(name), std::string(4096, '\0'));
}

}  // namespace
}  // namespace lifeboat::simulator
