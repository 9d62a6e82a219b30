// The read-only overlay: LevelDB opens, reads and even writes a database through it, and the files
// on disk stay byte for byte as they were; the next ordinary open sees only what was there.

#include "eventlog/read_only_overlay_env.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::eventlog {
namespace {

using store_testing::TempDir;

std::map<std::string, std::string> FilesIn(const std::string& directory) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream contents;
    contents << in.rdbuf();
    files[entry.path().filename().string()] = contents.str();
  }
  return files;
}

std::unique_ptr<leveldb::DB> OpenDb(const std::string& path, leveldb::Env* env) {
  leveldb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  if (env != nullptr) options.env = env;
  leveldb::DB* db = nullptr;
  leveldb::Status status = leveldb::DB::Open(options, path, &db);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return std::unique_ptr<leveldb::DB>(db);
}

std::string Get(leveldb::DB& db, const std::string& key) {
  std::string value;
  leveldb::Status status = db.Get(leveldb::ReadOptions(), key, &value);
  return status.ok() ? value : "<" + status.ToString() + ">";
}

TEST(ReadOnlyOverlayEnvTest, OpensReadsAndWritesWithoutChangingTheFilesOnDisk) {
  TempDir dir;
  {
    std::unique_ptr<leveldb::DB> db = OpenDb(dir.path(), nullptr);
    ASSERT_NE(db, nullptr);
    leveldb::WriteOptions synced;
    synced.sync = true;
    // Left in the WAL, which an open replays into a new table (a write on an ordinary Env).
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(db->Put(synced, "key" + std::to_string(i), std::string(1000, 'v')).ok());
    }
  }
  const std::map<std::string, std::string> before = FilesIn(dir.path());

  {
    ReadOnlyOverlayEnv overlay(leveldb::Env::Default());
    std::unique_ptr<leveldb::DB> db = OpenDb(dir.path(), &overlay);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(Get(*db, "key7"), std::string(1000, 'v'));
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), "overlay-only", "x").ok());
    EXPECT_EQ(Get(*db, "overlay-only"), "x");
    db->CompactRange(nullptr, nullptr);  // tables written in memory
    EXPECT_EQ(Get(*db, "key99"), std::string(1000, 'v'));
    EXPECT_GT(overlay.memory_bytes(), 0u);
    db.reset();
  }
  EXPECT_EQ(FilesIn(dir.path()), before);  // no file added, removed or changed

  std::unique_ptr<leveldb::DB> db = OpenDb(dir.path(), nullptr);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(Get(*db, "key0"), std::string(1000, 'v'));
  EXPECT_NE(Get(*db, "overlay-only"), "x");
}

TEST(ReadOnlyOverlayEnvTest, WritesPastTheBoundFailWithIoError) {
  TempDir dir;
  ReadOnlyOverlayEnv overlay(leveldb::Env::Default(), 64u << 10);
  leveldb::WritableFile* file = nullptr;
  ASSERT_TRUE(overlay.NewWritableFile(dir.path() + "/000001.log", &file).ok());
  std::unique_ptr<leveldb::WritableFile> owned(file);
  EXPECT_TRUE(owned->Append(std::string(60u << 10, 'a')).ok());
  leveldb::Status refused = owned->Append(std::string(8u << 10, 'a'));
  EXPECT_TRUE(refused.IsIOError()) << refused.ToString();
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/000001.log"));
  EXPECT_TRUE(overlay.FileExists(dir.path() + "/000001.log"));
  ASSERT_TRUE(overlay.RemoveFile(dir.path() + "/000001.log").ok());
  EXPECT_FALSE(overlay.FileExists(dir.path() + "/000001.log"));
  EXPECT_EQ(overlay.memory_bytes(), 0u);
}

}  // namespace
}  // namespace lifeboat::eventlog
