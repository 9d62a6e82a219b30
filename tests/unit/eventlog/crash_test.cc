// Crash test: random appends through the group-commit writer on a disk that forgets whatever was
// not synced when the "power" goes out (simulator/fault_injection_env.h), at a random write or
// sync, including torn writes. The log writes its WAL into preallocated files through the disk's
// file layer, as in production (eventlog/preallocated_wal_env.h). After each crash the log must
// open cleanly, hold every acknowledged record with its exact bytes, and have contiguous indices.
//
// Seeds: kSeedCount seeds from 1; LIFEBOAT_CRASH_SEED=<n> replays one seed. A failure names its
// seed (SCOPED_TRACE) so it can be replayed alone.

#include <gtest/gtest.h>
#include <leveldb/env.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "eventlog/group_commit.h"
#include "eventlog/log_store.h"
#include "simulator/fault_injection_env.h"
#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::eventlog {
namespace {

using simulator::FaultInjectionEnv;
using store_testing::LoopEnv;
using store_testing::TempDir;

constexpr uint64_t kSeedCount = 200;
constexpr int kCrashesPerSeed = 3;
constexpr auto kWaitBound = std::chrono::seconds(30);

struct Expected {
  uint64_t term = 0;
  std::string payload;
};

std::string RandomPayload(std::mt19937_64& random, uint64_t tag) {
  // Mostly small events, sometimes a mail-sized one that spans LevelDB's 32 KiB log blocks.
  const size_t bytes = random() % 8 == 0 ? 40'000 + random() % 100'000 : 1 + random() % 4000;
  std::string payload = "tag-" + std::to_string(tag) + "-";
  const uint64_t pattern = random();
  for (size_t i = payload.size(); i < bytes; ++i) {
    payload.push_back(static_cast<char>((pattern >> (8 * (i % 8))) ^ (i / 8)));
  }
  payload.resize(bytes);
  return payload;
}

// Totals over all seeds, printed at the end so a run shows what it exercised.
struct CrashTotals {
  uint64_t crashes = 0;
  uint64_t crashes_at_scheduled_point = 0;
  uint64_t acknowledged = 0;
  uint64_t refused = 0;
};

class CrashScenario {
 public:
  CrashScenario(uint64_t seed, CrashTotals& totals)
      : seed_(seed), random_(seed), disk_(leveldb::Env::Default(), seed), totals_(totals) {}

  void Run() {
    for (int crash = 0; crash < kCrashesPerSeed; ++crash) {
      SCOPED_TRACE("crash " + std::to_string(crash));
      RunUntilCrash();
      if (::testing::Test::HasFatalFailure()) return;
    }
    std::unique_ptr<LogStore> store = OpenAndVerify();
  }

 private:
  std::unique_ptr<LogStore> OpenAndVerify() {
    LogStoreOptions options;
    options.path = dir_.path();
    options.leveldb_env = &disk_;
    options.wal_file_system = &disk_;  // the production WAL path: preallocated, in place
    options.wal_spare_bytes = random_() % 2 == 0 ? 96u << 10 : 1u << 20;
    options.sync_directory = [this](const std::string& directory) {
      return disk_.SyncDirectory(directory);
    };
    // A small memtable makes LevelDB flush tables and compact while we crash it.
    options.write_buffer_bytes = random_() % 2 == 0 ? 64u << 10 : 4u << 20;
    Result<std::unique_ptr<LogStore>> opened = LogStore::Open(options);
    EXPECT_TRUE(opened.ok()) << "seed " << seed_ << ": " << opened.status().ToString();
    if (!opened.ok()) return nullptr;
    std::unique_ptr<LogStore> store = std::move(opened).value();

    const uint64_t acknowledged_last = expected_.empty() ? 0 : expected_.rbegin()->first;
    EXPECT_EQ(store->first_index(), 1u);
    EXPECT_GE(store->last_index(), acknowledged_last) << "acknowledged records lost";
    if (store->last_index() >= store->first_index()) {
      Result<std::vector<LogRecord>> records =
          store->Read(store->first_index(), store->last_index(), SIZE_MAX);
      EXPECT_TRUE(records.ok()) << records.status().ToString();
      if (!records.ok()) return nullptr;
      EXPECT_EQ(records->size(), store->last_index() - store->first_index() + 1);
      uint64_t index = store->first_index();
      for (const LogRecord& record : *records) {
        EXPECT_EQ(record.index, index++) << "indices not contiguous";
        auto it = expected_.find(record.index);
        if (it != expected_.end()) {
          EXPECT_EQ(record.term, it->second.term) << "record " << record.index;
          EXPECT_TRUE(record.payload == it->second.payload) << "record " << record.index;
        } else {
          // Written but never acknowledged (the crash hit its fsync): allowed to survive,
          // and durable from now on, since recovery rewrote it into a synced table.
          expected_[record.index] = Expected{record.term, record.payload};
        }
      }
    }
    return store;
  }

  void RunUntilCrash() {
    std::unique_ptr<LogStore> store = OpenAndVerify();
    if (store == nullptr) return;
    LoopEnv loop(seed_);
    auto writer = std::make_unique<GroupCommitWriter>(loop, *store);
    disk_.ScheduleCrash(1 + random_() % 80);

    std::map<uint64_t, Expected> acknowledged;
    size_t answered = 0;
    size_t proposed = 0;
    const uint64_t term = 1 + random_() % 2 + store->last_term();
    const size_t proposals = 10 + random_() % 100;
    for (size_t i = 0; i < proposals; ++i) {
      std::string payload = RandomPayload(random_, proposed);
      writer->Append(term, payload, [&, payload](Result<uint64_t> index) {
        ++answered;
        if (index.ok()) acknowledged[*index] = Expected{term, payload};
      });
      ++proposed;
      if (random_() % 4 == 0) loop.RunPosted();
      // Sometimes let the writer drain so batches vary from 1 record to many.
      if (random_() % 16 == 0) {
        ASSERT_TRUE(loop.RunUntil([&] { return answered == proposed; }, kWaitBound));
      }
    }
    ASSERT_TRUE(loop.RunUntil([&] { return answered == proposed; }, kWaitBound));
    ++totals_.crashes;
    if (disk_.crashed()) ++totals_.crashes_at_scheduled_point;
    if (!disk_.crashed()) disk_.CrashNow();  // the scheduled point was not reached: crash now
    writer->Shutdown();
    loop.RunPosted();
    writer.reset();
    store.reset();
    const auto mode = random_() % 2 == 0 ? FaultInjectionEnv::CrashMode::kDropUnsynced
                                         : FaultInjectionEnv::CrashMode::kKeepRandomUnsynced;
    ASSERT_TRUE(disk_.SimulateCrash(mode).ok());
    totals_.acknowledged += acknowledged.size();
    totals_.refused += proposed - acknowledged.size();
    for (auto& [index, record] : acknowledged) {
      auto [it, inserted] = expected_.try_emplace(index, record);
      // An index seen at the last open is durable and cannot be handed out again.
      EXPECT_TRUE(inserted) << "index " << index << " acknowledged twice";
      (void)it;
    }
  }

  const uint64_t seed_;
  std::mt19937_64 random_;
  TempDir dir_;
  FaultInjectionEnv disk_;
  std::map<uint64_t, Expected> expected_;  // acknowledged, or seen durable at an open
  CrashTotals& totals_;
};

TEST(LogCrashTest, AcknowledgedRecordsSurviveCrashesAtRandomPoints) {
  uint64_t first_seed = 1;
  uint64_t seed_count = kSeedCount;
  if (const char* one = std::getenv("LIFEBOAT_CRASH_SEED"); one != nullptr && *one != '\0') {
    first_seed = std::strtoull(one, nullptr, 10);
    seed_count = 1;
  }
  CrashTotals totals;
  for (uint64_t seed = first_seed; seed < first_seed + seed_count; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (replay: LIFEBOAT_CRASH_SEED=" + std::to_string(seed) + ")");
    CrashScenario(seed, totals).Run();
    if (HasFailure()) {
      std::fprintf(stderr, "crash test failed at seed %llu\n",
                   static_cast<unsigned long long>(seed));
      return;
    }
  }
  std::printf(
      "crash test: %llu seeds, %llu crashes (%llu at a scheduled write or sync), "
      "%llu acknowledged records verified, %llu proposals refused by the crash\n",
      static_cast<unsigned long long>(seed_count), static_cast<unsigned long long>(totals.crashes),
      static_cast<unsigned long long>(totals.crashes_at_scheduled_point),
      static_cast<unsigned long long>(totals.acknowledged),
      static_cast<unsigned long long>(totals.refused));
  EXPECT_GT(totals.crashes_at_scheduled_point, 0u);
}

}  // namespace
}  // namespace lifeboat::eventlog
