// lifeboat_bench_eventlog: durable append throughput of the event log, each figure measured
// against a peer in the same run on the same disk. Not a ctest test (tests/bench/run runs it).
//
//   (a) one proposer, 10 KiB events, propose -> wait for the durable callback -> next,
//       versus a raw write() + fdatasync() loop of 10 KiB records on one file;
//   (b) 64 proposers (64 proposals outstanding at all times), versus LevelDB's own unsynced write
//       rate (WriteOptions::sync = false, one Put per 10 KiB value) for the same bytes.
//
// usage: lifeboat_bench_eventlog [DIR]   (default $TMPDIR, else /var/tmp). Prints one JSON line
// per figure: {"name","value","unit","peer","peer_value","ratio","target_ratio_min"}.

#include <fcntl.h>
#include <leveldb/db.h>
#include <leveldb/options.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "appliance/env/check.h"
#include "appliance/env/thread_workers.h"
#include "eventlog/events.pb.h"
#include "eventlog/group_commit.h"
#include "eventlog/log_record_format.h"
#include "eventlog/log_store.h"
#include "eventlog/single_node_proposer.h"

namespace lifeboat::bench {
namespace {

constexpr size_t kEventBytes = 10 * 1024;
// Each figure runs kRounds rounds of kRoundDuration, alternating with its peer: 3 s each side.
constexpr auto kRoundDuration = std::chrono::milliseconds(250);
constexpr int kRounds = 12;
constexpr int kConcurrentProposers = 64;
constexpr double kSingleProposerTargetRatioMin = 0.6;
constexpr double kConcurrentTargetRatioMin = 0.7;

using Clock = std::chrono::steady_clock;

// The bench's loop: the main thread runs posted closures; real monotonic time for the writer's
// fsync statistics. An Env implementation of the bench's own (tests/ is outside the
// determinism check's scope; product code gets time only from the node's Env).
class BenchEnv : public Env {
 public:
  MonoTime MonotonicNow() override {
    return std::chrono::duration_cast<MonoTime>(Clock::now().time_since_epoch());
  }
  WallTime WallNow() override {
    return std::chrono::duration_cast<WallTime>(
        std::chrono::system_clock::now().time_since_epoch());
  }
  TimerId StartTimer(Duration, std::function<void()>) override {
    LB_CHECK(false && "the event log bench uses no timers");
    return 0;
  }
  void CancelTimer(TimerId) override {}
  uint64_t RandomU64() override {
    random_state_ ^= random_state_ << 13;
    random_state_ ^= random_state_ >> 7;
    random_state_ ^= random_state_ << 17;
    return random_state_;
  }
  void Post(std::function<void()> closure) override {
    {
      std::lock_guard lock(mutex_);
      posted_.push_back(std::move(closure));
    }
    posted_available_.notify_one();
  }

  void RunOffLoop(std::function<void()> work, std::function<void()> then_on_loop) override {
    workers_.Run(std::move(work), std::move(then_on_loop));
  }
  std::unique_ptr<SerialExecutor> NewSerialExecutor(std::string name) override {
    return std::make_unique<ThreadSerialExecutor>(std::move(name));
  }

  // Runs posted closures, blocking for more, until `done()` holds.
  void RunUntil(const std::function<bool()>& done) {
    while (!done()) {
      std::deque<std::function<void()>> batch;
      {
        std::unique_lock lock(mutex_);
        posted_available_.wait(lock, [this] { return !posted_.empty(); });
        batch.swap(posted_);
      }
      for (auto& closure : batch) closure();
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable posted_available_;
  std::deque<std::function<void()>> posted_;
  uint64_t random_state_ = 88172645463325252ull;
  ThreadWorkerPool workers_{*this, kWorkerThreadsMax, "bench-worker"};  // last: joined first
};

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Incompressible bytes, the same for every figure.
std::string MakePayload(size_t bytes) {
  std::string payload(bytes, '\0');
  uint64_t state = 0x2545f4914f6cdd1dull;
  for (char& byte : payload) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    byte = static_cast<char>(state);
  }
  return payload;
}

void PrintFigure(const std::string& name, double value, const std::string& unit,
                 const std::string& peer, double peer_value, double target_ratio_min) {
  std::printf(
      "{\"name\":\"%s\",\"value\":%.1f,\"unit\":\"%s\",\"peer\":\"%s\",\"peer_value\":%.1f,"
      "\"ratio\":%.3f,\"target_ratio_min\":%.2f}\n",
      name.c_str(), value, unit.c_str(), peer.c_str(), peer_value,
      peer_value > 0 ? value / peer_value : 0.0, target_ratio_min);
  std::fflush(stdout);
}

// Rounds alternate between the figure and its peer so that a disk shared with other work
// (a VM, a busy CI host) slows both alike; each side's rate is its total count over its total time.
struct Tally {
  uint64_t count = 0;
  double seconds = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(count) / seconds : 0; }
};

// Peer of (a): the best a single synchronous appender can do on this disk.
class RawFdatasyncAppender {
 public:
  explicit RawFdatasyncAppender(const std::string& dir) : path_(dir + "/raw-fdatasync.dat") {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    LB_CHECK(fd_ >= 0);
  }
  ~RawFdatasyncAppender() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  void Round(const std::string& payload, Tally& tally,
             std::chrono::milliseconds duration = kRoundDuration) {
    const Clock::time_point start = Clock::now();
    while (Clock::now() - start < duration) {
      LB_CHECK(::write(fd_, payload.data(), payload.size()) ==
               static_cast<ssize_t>(payload.size()));
      LB_CHECK(::fdatasync(fd_) == 0);
      ++tally.count;
    }
    tally.seconds += SecondsSince(start);
  }

 private:
  const std::string path_;
  int fd_ = -1;
};

// Peer of (b): LevelDB writing 10 KiB values without any sync.
class UnsyncedLevelDb {
 public:
  explicit UnsyncedLevelDb(const std::string& dir) : path_(dir + "/leveldb-unsynced") {
    options_.create_if_missing = true;
    options_.write_buffer_size = 8u << 20;  // as the log store
    leveldb::DB* raw_db = nullptr;
    LB_CHECK(leveldb::DB::Open(options_, path_, &raw_db).ok());
    db_.reset(raw_db);
  }
  ~UnsyncedLevelDb() {
    db_.reset();
    leveldb::DestroyDB(path_, options_);
  }
  // Writes `records` values, as many as the figure made durable in its round.
  void Round(const std::string& payload, uint64_t records, Tally& tally) {
    leveldb::WriteOptions unsynced;
    unsynced.sync = false;
    const Clock::time_point start = Clock::now();
    for (uint64_t i = 0; i < records; ++i) {
      LB_CHECK(db_->Put(unsynced, eventlog::format::RecordKey(++next_index_), payload).ok());
    }
    tally.count += records;
    tally.seconds += SecondsSince(start);
  }

 private:
  const std::string path_;
  leveldb::Options options_;
  std::unique_ptr<leveldb::DB> db_;
  uint64_t next_index_ = 0;
};

// A 10 KiB event: a MailReceived whose serialized form, stamped, is about kEventBytes.
events::Event MakeEvent(const std::string& payload) {
  events::Event event;
  events::MailReceived* mail = event.mutable_mail_received();
  mail->set_mail_id("bench");
  mail->set_raw(payload);
  const size_t overhead = event.ByteSizeLong() - payload.size() + 24;  // + timestamp, node id
  mail->mutable_raw()->resize(kEventBytes - overhead);
  return event;
}

struct LogUnderTest {
  explicit LogUnderTest(const std::string& path) {
    eventlog::LogStoreOptions options;
    options.path = path;
    options.env = &env;  // refills the WAL spare, as the node does
    Result<std::unique_ptr<eventlog::LogStore>> opened = eventlog::LogStore::Open(options);
    LB_CHECK(opened.ok());
    store = std::move(opened).value();
    writer = std::make_unique<eventlog::GroupCommitWriter>(env, *store);
    proposer = std::make_unique<eventlog::SingleNodeProposer>(env, *writer, "bench-node");
  }
  ~LogUnderTest() { writer->Shutdown(); }

  BenchEnv env;
  std::unique_ptr<eventlog::LogStore> store;
  std::unique_ptr<eventlog::GroupCommitWriter> writer;
  std::unique_ptr<eventlog::SingleNodeProposer> proposer;
};

// (a): one proposer: propose, wait for the durable callback, next.
void SingleProposerRound(LogUnderTest& log, const events::Event& event, Tally& tally) {
  const Clock::time_point start = Clock::now();
  while (Clock::now() - start < kRoundDuration) {
    bool done = false;
    log.proposer->Propose(event, [&](Result<uint64_t> index) {
      LB_CHECK(index.ok());
      done = true;
    });
    log.env.RunUntil([&] { return done; });
    ++tally.count;
  }
  tally.seconds += SecondsSince(start);
}

// (b): kConcurrentProposers proposals outstanding at all times; drained at the end of the round.
// Returns how many became durable in this round.
uint64_t ConcurrentProposersRound(LogUnderTest& log, const events::Event& event, Tally& tally) {
  uint64_t durable = 0;
  int outstanding = 0;
  const Clock::time_point start = Clock::now();
  std::function<void()> propose_one = [&] {
    ++outstanding;
    log.proposer->Propose(event, [&](Result<uint64_t> index) {
      LB_CHECK(index.ok());
      --outstanding;
      ++durable;
      if (Clock::now() - start < kRoundDuration) propose_one();
    });
  };
  for (int i = 0; i < kConcurrentProposers; ++i) propose_one();
  log.env.RunUntil([&] { return outstanding == 0; });
  tally.count += durable;
  tally.seconds += SecondsSince(start);
  return durable;
}

int Main(int argc, char** argv) {
  std::string base = argc > 1 ? argv[1] : "";
  if (base.empty()) {
    const char* tmpdir = getenv("TMPDIR");
    base = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/var/tmp";
  }
  std::error_code create_error;  // tests/bench/run passes a directory that may not exist yet
  std::filesystem::create_directories(base, create_error);
  std::string pattern = base + "/lifeboat-bench-eventlog-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    std::fprintf(stderr, "lifeboat_bench_eventlog: cannot create a directory under %s\n",
                 base.c_str());
    return 1;
  }
  const std::string dir = buffer.data();
  const std::string payload = MakePayload(kEventBytes);
  const events::Event event = MakeEvent(payload);

  Tally single;
  Tally raw;
  {
    LogUnderTest log(dir + "/log-single");
    RawFdatasyncAppender appender(dir);
    for (int round = 0; round < kRounds; ++round) {
      SingleProposerRound(log, event, single);
      appender.Round(payload, raw);
    }
  }
  PrintFigure("eventlog_durable_appends_1_proposer_10kib", single.rate(), "appends/s",
              "write()+fdatasync() loop, 10 KiB records, one file", raw.rate(),
              kSingleProposerTargetRatioMin);

  Tally concurrent;
  Tally unsynced;
  {
    LogUnderTest log(dir + "/log-concurrent");
    UnsyncedLevelDb peer(dir);
    // Diagnostic, not a figure: what the disk allows 64 outstanding 10 KiB appends when all 64
    // share one fsync (a raw write() of 640 KiB + fdatasync() loop).
    RawFdatasyncAppender hardware(dir);
    const std::string batch_bytes(kConcurrentProposers * kEventBytes, 'x');
    Tally hardware_batches;
    for (int round = 0; round < kRounds; ++round) {
      const uint64_t durable = ConcurrentProposersRound(log, event, concurrent);
      peer.Round(payload, durable, unsynced);
      hardware.Round(batch_bytes, hardware_batches, kRoundDuration / 2);
    }
    std::fprintf(stderr,
                 "lifeboat_bench_eventlog: (b) disk bound: write(640 KiB)+fdatasync() %.2f ms "
                 "-> at most %.0f appends/s with 64 outstanding\n",
                 1e3 / hardware_batches.rate(), hardware_batches.rate() * kConcurrentProposers);
    const eventlog::GroupCommitStats stats = log.writer->stats();
    std::fprintf(
        stderr,
        "lifeboat_bench_eventlog: (b) %llu records in %llu batches (mean %.1f), "
        "mean fsync %.2f ms, max %.2f ms\n",
        static_cast<unsigned long long>(stats.appended_events),
        static_cast<unsigned long long>(stats.batches),
        static_cast<double>(stats.appended_events) / static_cast<double>(stats.batches),
        static_cast<double>(stats.fsync_nanos_total) / 1e6 / static_cast<double>(stats.batches),
        static_cast<double>(stats.fsync_nanos_max) / 1e6);
  }
  PrintFigure("eventlog_durable_appends_64_proposers_10kib", concurrent.rate(), "appends/s",
              "leveldb Put sync=false, 10 KiB values, same bytes", unsynced.rate(),
              kConcurrentTargetRatioMin);

  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}

}  // namespace
}  // namespace lifeboat::bench

int main(int argc, char** argv) {
  return lifeboat::bench::Main(argc, argv);
}
