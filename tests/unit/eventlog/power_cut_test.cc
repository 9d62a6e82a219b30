// Power cuts across the node's real storage stack (issue #10 item 5; STYLE.md rule 13).
//
// Each scenario runs the node's own storage code, NodeStorage (appliance/node_storage.h): the
// LogStore on its preallocated WAL (with its spare filler), the GroupCommitWriter, the
// SingleNodeProposer, the ProjectionRunner with the node's projections
// (appliance/projection_list.h: directory and mailbox) and the ProjectionWorker, all on one
// fault-injection disk (simulator/fault_injection_env.h), which is also the preallocated WAL's
// file layer. A workload of proposals (MailReceived of 100 B to 150 KiB, mailbox and directory
// events) runs until the power is cut at a random write or sync (ScheduleCrash): every unsynced
// write is dropped, or, in the torn variant (kKeepRandomUnsynced), a random page prefix of the
// unsynced tail survives. Then the storage opens again, as the node's does (both stores reopen,
// the in-memory views are restored, the state catches up to the commit index), and the test
// checks:
//   - every acknowledged event is in the log at the index it was acknowledged with, with its
//     exact content, and exactly once (no proposal appears twice anywhere in the log);
//   - the recovered state store, caught up, has the StateHash that a rebuild of the projections
//     from the recovered log into an empty store gives.
// Then the workload goes on from there, and the next cut comes.
//
// Seeds: scenarios kFirstSeed .. kFirstSeed + kScenarioCount - 1, each printed with its figures.
// Replay one: LIFEBOAT_POWER_CUT_SEED=<seed> (that scenario alone); explore others:
// LIFEBOAT_POWER_CUT_FIRST_SEED=<seed> and LIFEBOAT_POWER_CUT_SCENARIOS=<count>. A seed fixes
// the workload, the cut points (the n-th write or sync), the torn lengths and the Env (a
// ManualEnv: clock, timers, randomness, the loop). Threads remain (the storage thread, the
// projection worker, LevelDB's compactions, the WAL spare filler), so which operation is the n-th
// can differ between runs of a seed when their writes interleave differently: a replay runs the
// same workload and cut ranks, and a failure that depends on a race may need a few runs
// (LIFEBOAT_POWER_CUT_SEED=<seed> ... --gtest_repeat=20). The spare-filler race fixed with this
// test failed here in 1 of 3 runs on /dev/shm and in 2 of 2 on a disk.
//
// The last test turns on GroupCommitOptions::acknowledge_before_sync_for_tests and checks that
// the same verification then finds acknowledged events lost: the check can fail.

#include <gtest/gtest.h>
#include <leveldb/env.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "appliance/log/logger.h"
#include "appliance/node_storage.h"
#include "appliance/projection_list.h"
#include "eventlog/events.pb.h"
#include "eventlog/log_store.h"
#include "eventlog/projection_runner.h"
#include "simulator/fault_injection_env.h"
#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::eventlog {
namespace {

using simulator::FaultInjectionEnv;
using store_testing::LoopEnv;
using store_testing::TempDir;

constexpr uint64_t kFirstSeed = 1;
constexpr uint64_t kScenarioCount = 200;
constexpr int kCutsPerScenario = 3;  // 600 cut points per run
constexpr auto kWaitBound = std::chrono::seconds(30);
constexpr char kNodeId[] = "power-cut-node";
const std::vector<std::string> kDomains = {"example.com"};
constexpr int kMailboxCount = 4;

// The fault-injection disk decides what survives a cut; the files under it need no durability of
// their own. So they live in memory when /dev/shm is there (a real disk's fsyncs would make up
// most of the run time), else under $TMPDIR.
std::string ScratchBase() {
  std::error_code error;
  return std::filesystem::is_directory("/dev/shm", error) && ::access("/dev/shm", W_OK) == 0
             ? "/dev/shm"
             : "";
}

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

// The proposal an event stands for: unique within a scenario, found in one field per type.
std::string MarkerOf(const events::Event& event) {
  switch (event.payload_case()) {
    case events::Event::kMailReceived:
      return event.mail_received().mail_id();
    case events::Event::kMailboxProvisioned:
      return event.mailbox_provisioned().primary_address();
    case events::Event::kDirectoryEntryUpserted:
      return event.directory_entry_upserted().entry().display_name();
    default:
      return "";
  }
}

std::string MailBody(std::mt19937_64& random, const std::string& marker) {
  // Mostly mail-sized text; sometimes one large enough to span LevelDB's 32 KiB log blocks and
  // the small test spares.
  const size_t bytes = random() % 8 == 0 ? 40'000 + random() % 110'000 : 100 + random() % 6000;
  std::string raw = "From: sender@example.net\r\nTo: user@example.com\r\nSubject: " + marker +
                    "\r\nMessage-ID: <" + marker + "@example.net>\r\n\r\n";
  while (raw.size() < bytes) {
    raw += "line " + std::to_string(raw.size()) + " of " + marker + " " +
           std::to_string(random() % 1000000) + "\r\n";
  }
  return raw;
}

// A workload event; `marker` makes it unique.
events::Event MakeEvent(std::mt19937_64& random, const std::string& marker) {
  events::Event event;
  const uint64_t kind = random() % 10;
  const std::string mailbox = "user-" + std::to_string(random() % kMailboxCount);
  if (kind == 0) {
    events::MailboxProvisioned* provisioned = event.mutable_mailbox_provisioned();
    provisioned->set_mailbox_id(mailbox);
    provisioned->set_primary_address(marker);
  } else if (kind == 1) {
    events::DirectoryEntry* entry = event.mutable_directory_entry_upserted()->mutable_entry();
    entry->set_id(mailbox);
    entry->set_kind(events::DIRECTORY_ENTRY_KIND_USER);
    entry->set_primary_address(mailbox + "@example.com");
    entry->add_addresses(mailbox + "@example.com");
    entry->set_display_name(marker);
    entry->set_source("import:power-cut");
  } else {
    events::MailReceived* mail = event.mutable_mail_received();
    mail->set_mail_id(marker);
    mail->set_mail_from("sender@example.net");
    mail->add_rcpt_to(mailbox + "@example.com");
    mail->set_raw(MailBody(random, marker));
    mail->set_source(events::MAIL_SOURCE_SMTP_INBOUND);
    events::MailDelivery* delivery = mail->add_deliveries();
    delivery->set_mailbox_id(mailbox);
    delivery->set_folder(random() % 4 == 0 ? "Sent" : "Inbox");
    if (random() % 3 == 0) {
      delivery = mail->add_deliveries();
      delivery->set_mailbox_id("user-" + std::to_string(random() % kMailboxCount));
    }
  }
  return event;
}

// What the log must hold for an event: its bytes without the fields the log and the proposer
// fill in, so that a stored record and the proposed event compare.
std::string Content(events::Event event) {
  event.clear_index();
  event.clear_term();
  event.clear_timestamp_unix_micros();
  event.clear_node_id();
  return event.SerializeAsString();
}

// What one restart found.
struct Verdict {
  uint64_t acknowledged_lost = 0;    // acknowledged, absent or different at its index
  uint64_t duplicated = 0;           // a proposal found more than once
  uint64_t unacknowledged_kept = 0;  // written, never acknowledged, survived (allowed)
  bool state_hash_matches = false;
};

struct Totals {
  uint64_t cuts = 0;
  uint64_t cuts_at_scheduled_point = 0;
  uint64_t torn_cuts = 0;
  uint64_t acknowledged = 0;
  uint64_t refused = 0;
  uint64_t acknowledged_lost = 0;
  uint64_t duplicated = 0;
  uint64_t state_hash_mismatches = 0;
  uint64_t unacknowledged_kept = 0;
  uint64_t preallocated_wal_files = 0;
};

class PowerCutScenario {
 public:
  PowerCutScenario(uint64_t seed, bool acknowledge_before_sync, Totals& totals)
      : seed_(seed),
        acknowledge_before_sync_(acknowledge_before_sync),
        random_(seed),
        disk_(leveldb::Env::Default(), seed),
        loop_(seed),
        totals_(totals) {
    // Small memtables and spares: WAL files switch, spares are used up and grown past, tables
    // are flushed and compacted while the cuts come.
    log_write_buffer_bytes_ = random_() % 2 == 0 ? 64u << 10 : 256u << 10;
    wal_spare_bytes_ = random_() % 2 == 0 ? 96u << 10 : 512u << 10;
  }

  // Runs `cuts` cut points, each followed by a restart and its verdict. Stops at the first cut
  // that loses an acknowledged event when `stop_at_loss`.
  std::vector<Verdict> Run(int cuts, bool stop_at_loss) {
    std::vector<Verdict> verdicts;
    for (int cut = 0; cut < cuts; ++cut) {
      SCOPED_TRACE("cut " + std::to_string(cut));
      std::optional<Verdict> verdict = RunUntilCutThenRestart();
      if (!verdict.has_value()) break;
      verdicts.push_back(*verdict);
      if (stop_at_loss && verdict->acknowledged_lost > 0) break;
    }
    return verdicts;
  }

 private:
  std::string LogPath() const { return dir_.path() + "/log"; }
  std::string StatePath() const { return dir_.path() + "/state"; }

  // The node's storage on the faulty disk, as the node opens it (without its reserve and
  // ballast: the cuts, not a full disk, are under test).
  ::testing::AssertionResult Open(std::unique_ptr<NodeStorage>& storage) {
    NodeStorageOptions options;
    options.data_dir = dir_.path();
    options.identity = NodeIdentity{"power-cut", kNodeId, kDataDirSchemaVersion};
    options.accepted_domains = kDomains;
    options.leveldb_env = &disk_;
    options.wal_file_system = &disk_;  // the preallocated WAL on the faulty disk
    options.sync_directory = [this](const std::string& directory) {
      return disk_.SyncDirectory(directory);
    };
    options.log.write_buffer_bytes = log_write_buffer_bytes_;
    options.log.wal_spare_bytes = wal_spare_bytes_;
    options.state.write_buffer_bytes = 128u << 10;
    options.state.batch_events_max = 1 + random_() % 64;
    options.state.read_ahead = random_() % 2 == 0;
    options.group_commit.acknowledge_before_sync_for_tests = acknowledge_before_sync_;
    options.projection_worker = eventlog::ProjectionWorkerOptions{};
    Result<std::unique_ptr<NodeStorage>> opened = NodeStorage::Open(options, loop_, logger_);
    if (!opened.ok()) return ::testing::AssertionFailure() << opened.status().ToString();
    storage = std::move(opened).value();
    // A worker stopped by the cut is expected (the state database fails like the rest of the
    // disk); an error before the cut is a finding.
    storage->OnProjectionError([this](const Status& error) {
      if (!disk_.crashed()) worker_error_ = error;
    });
    return ::testing::AssertionSuccess();
  }

  // As Node::Shutdown: the writer drains, the worker stops, everything closes. The final
  // catch-up fails on a cut disk, as the node's would.
  void Close(std::unique_ptr<NodeStorage>& storage) {
    (void)storage->Shutdown([this] { loop_.RunPosted(); });
    storage.reset();
  }

  // Checks the log against what was acknowledged, and the recovered state against a rebuild.
  Verdict Verify(const NodeStorage& storage) {
    Verdict verdict;
    const LogStore& log = storage.log();
    std::map<std::string, uint64_t> seen;  // marker -> index
    std::map<uint64_t, std::string> held;  // index -> content
    if (log.last_index() >= log.first_index()) {
      Result<std::vector<LogRecord>> records =
          log.Read(log.first_index(), log.last_index(), SIZE_MAX);
      EXPECT_TRUE(records.ok()) << records.status().ToString();
      if (records.ok()) {
        for (const LogRecord& record : *records) {
          events::Event event;
          EXPECT_TRUE(event.ParseFromString(record.payload)) << "record " << record.index;
          const std::string marker = MarkerOf(event);
          if (!seen.try_emplace(marker, record.index).second) {
            ++verdict.duplicated;
            if (!acknowledge_before_sync_)
              ADD_FAILURE() << marker << " at " << seen[marker] << " and again at " << record.index;
          }
          held[record.index] = Content(event);
          if (!durable_.contains(record.index)) ++verdict.unacknowledged_kept;
        }
      }
    }
    for (const auto& [index, content] : durable_) {
      auto it = held.find(index);
      if (it == held.end() || it->second != content) {
        ++verdict.acknowledged_lost;
        if (!acknowledge_before_sync_)
          ADD_FAILURE() << "acknowledged index " << index
                        << (it == held.end() ? " is missing" : " holds other content");
      }
    }
    // From now on, what the log holds is durable (recovery rewrote it into synced tables).
    durable_ = held;

    // The recovered state, caught up (Open did that), against a rebuild from the log.
    Result<std::string> recovered = storage.runner().StateHash();
    EXPECT_TRUE(recovered.ok()) << recovered.status().ToString();
    TempDir scratch(ScratchBase());
    ProjectionRunnerOptions rebuild_options;
    rebuild_options.path = scratch.path() + "/state";
    NodeProjections fresh = MakeProjections(kDomains);
    Result<std::string> rebuilt = Rebuild(log, rebuild_options, fresh.pointers(), log.last_index());
    EXPECT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
    verdict.state_hash_matches = recovered.ok() && rebuilt.ok() && *recovered == *rebuilt;
    EXPECT_TRUE(verdict.state_hash_matches)
        << "recovered " << (recovered.ok() ? *recovered : recovered.status().ToString())
        << " rebuilt " << (rebuilt.ok() ? *rebuilt : rebuilt.status().ToString());
    return verdict;
  }

  // One cut point: open, verify, propose until the power goes, cut, then restart and verify.
  std::optional<Verdict> RunUntilCutThenRestart() {
    std::unique_ptr<NodeStorage> storage;
    ::testing::AssertionResult opened = Open(storage);
    EXPECT_TRUE(opened) << "seed " << seed_;
    if (!opened) return std::nullopt;

    // Writes and syncs per proposal: the log's write and sync, the state's writes, spares.
    const size_t proposals = 10 + random_() % 60;
    disk_.ScheduleCrash(1 + random_() % (3 * proposals));
    std::map<uint64_t, std::string> acknowledged;
    size_t proposed = 0;
    size_t answered = 0;
    for (size_t i = 0; i < proposals && !disk_.crashed(); ++i) {
      const std::string marker = "s" + std::to_string(seed_) + "-p" + std::to_string(serial_++);
      events::Event event = MakeEvent(random_, marker);
      std::string content = Content(event);
      storage->proposer().Propose(std::move(event), [&, content](Result<uint64_t> index) {
        ++answered;
        if (index.ok()) acknowledged[*index] = content;
      });
      ++proposed;
      if (random_() % 4 == 0) loop_.RunPosted();
      if (random_() % 8 == 0) loop_.Advance(std::chrono::milliseconds(1 + random_() % 5000));
      // Sometimes let the writer drain, so batches range from one record to many.
      if (random_() % 6 == 0) {
        EXPECT_TRUE(loop_.RunUntil([&] { return answered == proposed; }, kWaitBound));
      }
    }
    EXPECT_TRUE(loop_.RunUntil([&] { return answered == proposed; }, kWaitBound));
    EXPECT_TRUE(worker_error_.ok()) << worker_error_.ToString();
    ++totals_.cuts;
    if (disk_.crashed()) ++totals_.cuts_at_scheduled_point;
    if (!disk_.crashed()) disk_.CrashNow();  // the scheduled point was not reached: cut now
    totals_.preallocated_wal_files += storage->log().preallocated_wal_files();
    Close(storage);
    const bool torn = random_() % 2 == 0;
    totals_.torn_cuts += torn ? 1 : 0;
    EXPECT_TRUE(disk_
                    .SimulateCrash(torn ? FaultInjectionEnv::CrashMode::kKeepRandomUnsynced
                                        : FaultInjectionEnv::CrashMode::kDropUnsynced)
                    .ok());
    totals_.acknowledged += acknowledged.size();
    totals_.refused += proposed - acknowledged.size();
    for (const auto& [index, content] : acknowledged) {
      const bool fresh = durable_.try_emplace(index, content).second;
      // An index durable at the last restart is never handed out again.
      if (!fresh && !acknowledge_before_sync_) ADD_FAILURE() << "index " << index << " reused";
      if (!fresh) durable_[index] = content;
    }

    // The restart.
    std::unique_ptr<NodeStorage> restarted;
    opened = Open(restarted);
    EXPECT_TRUE(opened) << "seed " << seed_ << " restart";
    if (!opened) return std::nullopt;
    Verdict verdict = Verify(*restarted);
    Close(restarted);
    totals_.acknowledged_lost += verdict.acknowledged_lost;
    totals_.duplicated += verdict.duplicated;
    totals_.unacknowledged_kept += verdict.unacknowledged_kept;
    totals_.state_hash_mismatches += verdict.state_hash_matches ? 0 : 1;
    return verdict;
  }

  const uint64_t seed_;
  const bool acknowledge_before_sync_;
  std::mt19937_64 random_;
  TempDir dir_{ScratchBase()};
  FaultInjectionEnv disk_;
  LoopEnv loop_;
  Logger logger_{loop_, LogLevel::kError, [](std::string_view) {}};
  Totals& totals_;
  size_t log_write_buffer_bytes_ = 0;
  uint64_t wal_spare_bytes_ = 0;
  uint64_t serial_ = 0;
  Status worker_error_ = Status::Ok();
  std::map<uint64_t, std::string> durable_;  // index -> content: acknowledged or seen at a restart
};

struct SeedRange {
  uint64_t first = kFirstSeed;
  uint64_t count = kScenarioCount;
};

SeedRange SeedsFromEnvironment() {
  SeedRange range;
  range.first = EnvNumber("LIFEBOAT_POWER_CUT_FIRST_SEED", kFirstSeed);
  range.count = EnvNumber("LIFEBOAT_POWER_CUT_SCENARIOS", kScenarioCount);
  if (const uint64_t one = EnvNumber("LIFEBOAT_POWER_CUT_SEED", 0); one != 0) {
    range.first = one;
    range.count = 1;
  }
  return range;
}

TEST(PowerCutTest, AcknowledgedEventsSurviveCutsAndProjectionsRebuildToTheSameHash) {
  const SeedRange seeds = SeedsFromEnvironment();
  const auto start = std::chrono::steady_clock::now();
  Totals totals;
  for (uint64_t seed = seeds.first; seed < seeds.first + seeds.count; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (replay: LIFEBOAT_POWER_CUT_SEED=" + std::to_string(seed) + ")");
    const Totals before = totals;
    PowerCutScenario(seed, /*acknowledge_before_sync=*/false, totals)
        .Run(kCutsPerScenario, /*stop_at_loss=*/false);
    std::printf(
        "power cut seed %llu: %llu cuts (%llu at the scheduled point, %llu torn), "
        "%llu acknowledged, %llu lost, %llu duplicated, %llu state hash mismatches\n",
        static_cast<unsigned long long>(seed),
        static_cast<unsigned long long>(totals.cuts - before.cuts),
        static_cast<unsigned long long>(totals.cuts_at_scheduled_point -
                                        before.cuts_at_scheduled_point),
        static_cast<unsigned long long>(totals.torn_cuts - before.torn_cuts),
        static_cast<unsigned long long>(totals.acknowledged - before.acknowledged),
        static_cast<unsigned long long>(totals.acknowledged_lost - before.acknowledged_lost),
        static_cast<unsigned long long>(totals.duplicated - before.duplicated),
        static_cast<unsigned long long>(totals.state_hash_mismatches -
                                        before.state_hash_mismatches));
    if (HasFailure()) {
      std::fprintf(stderr, "power cut test failed at seed %llu\n",
                   static_cast<unsigned long long>(seed));
      return;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "power cut: seeds %llu..%llu, %llu cut points (%llu at a scheduled write or sync, "
      "%llu torn), %llu acknowledged events verified, %llu refused by the cut (%llu of them "
      "kept, as allowed), %llu preallocated WAL files, %.1f s\n",
      static_cast<unsigned long long>(seeds.first),
      static_cast<unsigned long long>(seeds.first + seeds.count - 1),
      static_cast<unsigned long long>(totals.cuts),
      static_cast<unsigned long long>(totals.cuts_at_scheduled_point),
      static_cast<unsigned long long>(totals.torn_cuts),
      static_cast<unsigned long long>(totals.acknowledged),
      static_cast<unsigned long long>(totals.refused),
      static_cast<unsigned long long>(totals.unacknowledged_kept),
      static_cast<unsigned long long>(totals.preallocated_wal_files), seconds);
  EXPECT_EQ(totals.acknowledged_lost, 0u);
  EXPECT_EQ(totals.duplicated, 0u);
  EXPECT_EQ(totals.state_hash_mismatches, 0u);
  if (seeds.count == kScenarioCount) {
    EXPECT_GE(totals.cuts, 200u);
    // The cuts land inside the workload, on the production WAL path.
    EXPECT_GT(totals.cuts_at_scheduled_point, totals.cuts / 2);
    EXPECT_GT(totals.preallocated_wal_files, 0u);
  }
}

// The check can fail: with acknowledgements sent before the sync, some cut loses an event that
// was acknowledged, and the verification above counts it.
TEST(PowerCutTest, AcknowledgingBeforeTheSyncLosesAcknowledgedEvents) {
  constexpr uint64_t kScenarios = 20;
  const SeedRange seeds = SeedsFromEnvironment();
  Totals totals;
  uint64_t losing_cuts = 0;
  for (uint64_t seed = seeds.first; seed < seeds.first + std::min(seeds.count, kScenarios);
       ++seed) {
    const std::vector<Verdict> verdicts =
        PowerCutScenario(seed, /*acknowledge_before_sync=*/true, totals)
            .Run(kCutsPerScenario, /*stop_at_loss=*/false);
    uint64_t lost_here = 0;
    for (const Verdict& verdict : verdicts) lost_here += verdict.acknowledged_lost > 0 ? 1 : 0;
    losing_cuts += lost_here;
    std::printf("acknowledge before sync, seed %llu: %llu of %zu cuts lost acknowledged events\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(lost_here),
                verdicts.size());
  }
  std::printf(
      "acknowledge before sync: %llu of %llu cut points lost acknowledged events (%llu "
      "events in all)\n",
      static_cast<unsigned long long>(losing_cuts), static_cast<unsigned long long>(totals.cuts),
      static_cast<unsigned long long>(totals.acknowledged_lost));
  EXPECT_GT(losing_cuts, 0u)
      << "the power-cut check did not notice acknowledgements sent before the sync";
}

}  // namespace
}  // namespace lifeboat::eventlog
