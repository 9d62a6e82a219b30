// The disk reserve: each batch is checked against a fresh free-space figure and charged for what
// it will cause later; refusals are ResourceExhausted; the periodic check lifts a refusal by
// itself. And the ballast: made whole or not at all, released, and what opening a LevelDB needs.

#include "appliance/disk_reserve.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <leveldb/helpers/memenv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "appliance/ballast.h"
#include "simulator/manual_env.h"

namespace lifeboat {
namespace {

constexpr uint64_t kMiB = 1u << 20;
constexpr uint64_t kReserve = 100 * kMiB;
constexpr uint64_t kStoreBytes = 10 * kMiB;  // bounds the background-job charge in these tests

class DiskReserveTest : public ::testing::Test {
 protected:
  DiskReserve& MakeReserve(uint64_t reserve_bytes = kReserve) {
    reserve_ = std::make_unique<DiskReserve>(
        env_,
        [this]() -> Result<uint64_t> {
          ++free_calls_;
          if (statvfs_fails_) return Status::IoError("statvfs failed");
          return free_bytes_;
        },
        [] { return kStoreBytes; }, reserve_bytes);
    return *reserve_;
  }

  simulator::ManualEnv env_{1};
  uint64_t free_bytes_ = 1000 * kMiB;
  bool statvfs_fails_ = false;
  int free_calls_ = 0;
  std::unique_ptr<DiskReserve> reserve_;
};

TEST_F(DiskReserveTest, AdmitsABatchThatFitsAboveTheReserveWithWhatItWillCause) {
  DiskReserve& reserve = MakeReserve();
  // Charge: 1 MiB + 64 B log write, 2 MiB of projection writes, 10 MiB background job.
  free_bytes_ = kReserve + 13 * kMiB + 2 * kLogRecordOverheadBytes;
  EXPECT_TRUE(reserve.Admit(1, 2, kMiB).ok());
}

TEST_F(DiskReserveTest, RefusesABatchThatWouldCrossTheReserveWithResourceExhausted) {
  DiskReserve& reserve = MakeReserve();
  free_bytes_ = kReserve + 12 * kMiB;  // under the 13 MiB the batch is charged
  Status refused = reserve.Admit(1, 1, kMiB);
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted) << refused.ToString();
  EXPECT_NE(refused.message().find("disk reserve"), std::string::npos) << refused.ToString();
  EXPECT_FALSE(reserve.AcceptsNewMail());
  EXPECT_EQ(reserve.figures().refused_batches, 1u);
}

TEST_F(DiskReserveTest, ReadsFreeSpaceAfreshForEveryBatch) {
  DiskReserve& reserve = MakeReserve();
  const int before = free_calls_;
  ASSERT_TRUE(reserve.Admit(1, 1, 1000).ok());
  free_bytes_ = kReserve;  // something else filled the disk between two batches
  EXPECT_EQ(reserve.Admit(2, 1, 1000).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(free_calls_, before + 2);
}

TEST_F(DiskReserveTest, UnappliedBatchesAreChargedUntilTheProjectionsFoldThem) {
  DiskReserve& reserve = MakeReserve();
  ASSERT_TRUE(reserve.Admit(1, 10, 20 * kMiB).ok());  // indices 1..10, not yet applied
  // Next batch: its own 3 MiB-ish plus 40 MiB for the backlog and 10 MiB background.
  free_bytes_ = kReserve + 50 * kMiB;
  EXPECT_EQ(reserve.Admit(11, 1, kMiB).code(), StatusCode::kResourceExhausted);
  reserve.NoteApplied(9);  // the batch through 10 is not folded yet
  EXPECT_EQ(reserve.Admit(11, 1, kMiB).code(), StatusCode::kResourceExhausted);
  reserve.NoteApplied(10);
  EXPECT_TRUE(reserve.Admit(11, 1, kMiB).ok());
}

TEST_F(DiskReserveTest, ZeroReserveAdmitsEverything) {
  DiskReserve& reserve = MakeReserve(0);
  free_bytes_ = 0;
  EXPECT_TRUE(reserve.Admit(1, 1, kMiB).ok());
  EXPECT_TRUE(reserve.Check().accepting);
}

TEST_F(DiskReserveTest, AFailedStatvfsLeavesTheDecisionToTheWrite) {
  DiskReserve& reserve = MakeReserve();
  statvfs_fails_ = true;
  EXPECT_TRUE(reserve.Admit(1, 1, kMiB).ok());
}

TEST_F(DiskReserveTest, WritesImpossibleRefusesWhateverTheSpace) {
  DiskReserve& reserve = MakeReserve();
  reserve.SetWritesImpossible(true);
  EXPECT_EQ(reserve.Admit(1, 1, 1).code(), StatusCode::kResourceExhausted);
  EXPECT_FALSE(reserve.AcceptsNewMail());
  reserve.SetWritesImpossible(false);
  EXPECT_TRUE(reserve.AcceptsNewMail());
}

TEST_F(DiskReserveTest, PeriodicCheckRefusesAndResumesByItself) {
  DiskReserve& reserve = MakeReserve();
  std::vector<bool> heard;
  int checks = 0;
  reserve.Start([&](bool accepting, const DiskFigures&) { heard.push_back(accepting); },
                [&] { ++checks; });
  EXPECT_TRUE(reserve.AcceptsNewMail());
  EXPECT_EQ(checks, 1);

  free_bytes_ = kReserve + kStoreBytes + kAcceptMarginBytes - 1;  // a full batch no longer fits
  env_.Advance(kDiskCheckInterval);
  EXPECT_FALSE(reserve.AcceptsNewMail());
  EXPECT_EQ(heard, std::vector<bool>({false}));

  free_bytes_ = kReserve + kStoreBytes + kAcceptMarginBytes;  // space returned
  env_.Advance(kDiskCheckInterval);
  EXPECT_TRUE(reserve.AcceptsNewMail());
  EXPECT_EQ(heard, std::vector<bool>({false, true}));
  EXPECT_EQ(checks, 3);
}

class BallastTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lifeboat-ballast-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::string command = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }
  static uint64_t AllocatedBytesOf(const std::string& path) {
    struct stat info {};
    if (stat(path.c_str(), &info) != 0) return 0;
    return static_cast<uint64_t>(info.st_blocks) * 512;
  }
  std::string dir_;
};

TEST_F(BallastTest, CreateAllocatesTheWholeFileAndReleaseDeletesIt) {
  Ballast ballast(dir_, 4 * kMiB);
  EXPECT_FALSE(ballast.present());
  ASSERT_TRUE(ballast.Create().ok());
  EXPECT_TRUE(ballast.present());
  EXPECT_GE(AllocatedBytesOf(ballast.path()), 4 * kMiB);  // allocated, not sparse
  EXPECT_TRUE(ballast.Create().ok());                     // present: nothing to do
  ASSERT_TRUE(ballast.Release().ok());
  EXPECT_FALSE(ballast.present());
  EXPECT_TRUE(ballast.Release().ok());  // absent: nothing to do
}

TEST_F(BallastTest, CreateInAMissingDirectoryIsAnIoErrorAndLeavesNothing) {
  Ballast ballast(dir_ + "/missing", kMiB);
  Status created = ballast.Create();
  EXPECT_EQ(created.code(), StatusCode::kIoError) << created.ToString();
  EXPECT_FALSE(ballast.present());
}

TEST_F(BallastTest, OpeningNeedsTheWalsPlusMetadata) {
  const std::string log = dir_ + "/log";
  ASSERT_EQ(mkdir(log.c_str(), 0700), 0);
  int fd = open((log + "/000003.log").c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 5000), 0);
  close(fd);
  fd = open((log + "/000002.ldb").c_str(), O_WRONLY | O_CREAT, 0600);  // a table: not replayed
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 7000), 0);
  close(fd);
  EXPECT_EQ(BytesToOpenLevelDbs(*leveldb::Env::Default(), {log, dir_ + "/state"}),
            5000 + 2 * kLevelDbOpenMetadataBytes);
}

// On an injected disk (the simulator's) the ballast and the open-size estimate go through that
// disk only: the real file system under the same path is never touched.
TEST_F(BallastTest, InjectedDiskHoldsTheBallastAndNothingTouchesTheRealFiles) {
  std::unique_ptr<leveldb::Env> disk(leveldb::NewMemEnv(leveldb::Env::Default()));
  const std::string data_dir = dir_ + "/simulated";
  ASSERT_TRUE(disk->CreateDir(data_dir).ok());
  std::vector<std::string> synced;
  Ballast ballast(data_dir, 3 * kMiB + 5, disk.get(), [&synced](const std::string& directory) {
    synced.push_back(directory);
    return leveldb::Status::OK();
  });
  ASSERT_TRUE(ballast.Create().ok());
  EXPECT_TRUE(ballast.present());
  uint64_t size = 0;
  ASSERT_TRUE(disk->GetFileSize(ballast.path(), &size).ok());
  EXPECT_EQ(size, 3 * kMiB + 5);
  EXPECT_EQ(synced, std::vector<std::string>{data_dir});
  struct stat info {};
  EXPECT_NE(stat(data_dir.c_str(), &info), 0) << "the real file system was written";

  const std::string log = data_dir + "/log";
  ASSERT_TRUE(disk->CreateDir(log).ok());
  std::unique_ptr<leveldb::WritableFile> wal;
  {
    leveldb::WritableFile* raw = nullptr;
    ASSERT_TRUE(disk->NewWritableFile(log + "/000005.log", &raw).ok());
    wal.reset(raw);
  }
  ASSERT_TRUE(wal->Append(std::string(4000, 'x')).ok());
  ASSERT_TRUE(wal->Close().ok());
  EXPECT_EQ(BytesToOpenLevelDbs(*disk, {log, data_dir + "/state"}),
            4000 + 2 * kLevelDbOpenMetadataBytes);

  ASSERT_TRUE(ballast.Release().ok());
  EXPECT_FALSE(ballast.present());
  EXPECT_EQ(synced.size(), 2u);
}

TEST_F(BallastTest, AllocatedBytesCountsRealBlocksAndStopsOnceEnough) {
  const std::string store = dir_ + "/store";
  ASSERT_EQ(mkdir(store.c_str(), 0700), 0);
  for (const char* name : {"/000005.ldb", "/000006.ldb"}) {
    int fd = open((store + name).c_str(), O_WRONLY | O_CREAT, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(posix_fallocate(fd, 0, static_cast<off_t>(kMiB)), 0);
    close(fd);
  }
  int fd = open((store + "/sparse.log").c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(64 * kMiB)), 0);  // a size, no blocks
  close(fd);
  const uint64_t all = AllocatedBytes({store, dir_ + "/missing"});
  EXPECT_GE(all, 2 * kMiB);
  EXPECT_LT(all, 3 * kMiB);
  EXPECT_LT(AllocatedBytes({store}, 1), 2 * kMiB);  // stopped after the first table
}

}  // namespace
}  // namespace lifeboat
