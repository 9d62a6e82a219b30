// ProjectionRunner, Rebuild, StateHash and ProjectionWorker against a real LogStore and a real
// `state` LevelDB in a temporary directory.

#include "eventlog/projection_runner.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "appliance/env/thread_workers.h"
#include "eventlog/log_store.h"
#include "eventlog/noop_projection.h"
#include "eventlog/projection_worker.h"
#include "simulator/manual_env.h"

namespace lifeboat::eventlog {
namespace {

// A fresh directory under $TMPDIR (or /tmp), removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/lb_projection_XXXXXX";
    LB_CHECK(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::string Serialize(const events::Event& event) {
  std::string bytes;
  LB_CHECK(event.SerializeToString(&bytes));
  return bytes;
}

events::Event Mail(const std::string& mail_id, const std::vector<std::string>& recipients) {
  events::Event event;
  event.set_timestamp_unix_micros(1'700'000'000'000'000);
  event.set_node_id("node-a");
  events::MailReceived* mail = event.mutable_mail_received();
  mail->set_mail_id(mail_id);
  mail->set_mail_from("sender@example.org");
  for (const std::string& recipient : recipients) mail->add_rcpt_to(recipient);
  mail->set_raw("Subject: hello\r\n\r\nbody\r\n");
  return event;
}

events::Event Bounce(const std::string& mail_id) {
  events::Event event;
  event.mutable_bounced()->set_mail_id(mail_id);
  event.mutable_bounced()->set_smtp_code(550);
  return event;
}

events::Event Flags(const std::string& message_id) {
  events::Event event;
  events::MessageFlagsChanged* flags = event.mutable_message_flags_changed();
  flags->set_mailbox_id("mbx-1");
  flags->set_message_id(message_id);
  flags->add_flags_added("\\Seen");
  return event;
}

// An event carrying payload field 99, which this version does not know (a newer node wrote it).
std::string UnknownPayloadBytes() {
  events::Event envelope;
  envelope.set_node_id("node-from-the-future");
  std::string bytes = Serialize(envelope);
  const char field_99_length_delimited[] = {static_cast<char>(0x9a), 0x06};  // tag (99 << 3) | 2
  bytes.append(field_99_length_delimited, 2);
  bytes.push_back(3);
  bytes.append("new");
  return bytes;
}

// Appends payloads as consecutive records (term 1) after the log's last index.
void AppendPayloads(LogStore& log, const std::vector<std::string>& payloads) {
  std::vector<LogRecord> records;
  uint64_t index = log.last_index();
  for (const std::string& payload : payloads) records.push_back({++index, 1, payload});
  ASSERT_TRUE(log.Append(records).ok());
}

void AppendEvents(LogStore& log, const std::vector<events::Event>& events) {
  std::vector<std::string> payloads;
  for (const events::Event& event : events) payloads.push_back(Serialize(event));
  AppendPayloads(log, payloads);
}

std::unique_ptr<LogStore> OpenLog(const std::string& path) {
  LogStoreOptions options;
  options.path = path;
  Result<std::unique_ptr<LogStore>> log = LogStore::Open(options);
  if (!log.ok()) std::fprintf(stderr, "OpenLog: %s\n", log.status().ToString().c_str());
  LB_CHECK(log.ok());
  return std::move(log).value();
}

// Counts events per payload type and mails per recipient; a bounce takes the mail back out
// (decrements, deleting a count that reaches zero). Non-trivial on purpose: it reads its own
// writes within a batch and deletes keys, so rebuild-versus-incremental compares real work.
class TallyProjection : public Projection {
 public:
  std::string_view name() const override { return "tally"; }
  Status Apply(const events::Event& event, ProjectionState& state) override {
    if (event.payload_case() == events::Event::PAYLOAD_NOT_SET) {
      ++unknown_seen;
      return Status::Ok();
    }
    LB_RETURN_IF_ERROR(Increment(state, "type/" + std::to_string(event.payload_case()), 1));
    if (event.has_mail_received()) {
      std::string recipients;
      for (const std::string& recipient : event.mail_received().rcpt_to()) {
        LB_RETURN_IF_ERROR(Increment(state, "rcpt/" + recipient, 1));
        recipients += recipient + "\n";
      }
      state.Put("mail/" + event.mail_received().mail_id(), recipients);
    } else if (event.has_bounced()) {
      std::string mail_key = "mail/" + event.bounced().mail_id();
      Result<std::optional<std::string>> stored = state.Get(mail_key);
      if (!stored.ok()) return stored.status();
      if (!stored->has_value()) return Status::Ok();
      std::istringstream recipients(**stored);
      for (std::string recipient; std::getline(recipients, recipient);) {
        LB_RETURN_IF_ERROR(Increment(state, "rcpt/" + recipient, -1));
      }
      state.Delete(mail_key);
      ++mails_bounced;
    }
    return Status::Ok();
  }

  int unknown_seen = 0;
  int mails_bounced = 0;

 private:
  static Status Increment(ProjectionState& state, const std::string& key, int by) {
    Result<std::optional<std::string>> stored = state.Get(key);
    if (!stored.ok()) return stored.status();
    long count = stored->has_value() ? std::stol(**stored) : 0;
    count += by;
    if (count == 0) {
      state.Delete(key);
    } else {
      state.Put(key, std::to_string(count));
    }
    return Status::Ok();
  }
};

// Remembers which indices it was handed; fails at `fail_at_index` (0: never), like a projection
// meeting an event this version cannot fold.
class CountingProjection : public Projection {
 public:
  explicit CountingProjection(std::string name, uint64_t fail_at_index = 0)
      : name_(std::move(name)), fail_at_index_(fail_at_index) {}
  std::string_view name() const override { return name_; }
  Status Apply(const events::Event& event, ProjectionState& state) override {
    if (event.index() == fail_at_index_) return Status::InvalidArgument("cannot fold this event");
    applied.push_back(event.index());
    state.Put("last", std::to_string(event.index()));
    return Status::Ok();
  }

  std::vector<uint64_t> applied;

 private:
  std::string name_;
  uint64_t fail_at_index_;
};

// The read-ahead's executor on a real thread, as in production (the log prefetcher's own test
// also runs it under a plain ManualEnv).
class ReadAheadEnv : public simulator::ManualEnv {
 public:
  ReadAheadEnv() : ManualEnv(/*seed=*/1) {}
  std::unique_ptr<SerialExecutor> NewSerialExecutor(std::string name) override {
    return std::make_unique<ThreadSerialExecutor>(std::move(name));
  }
};

class ProjectionRunnerTest : public ::testing::Test {
 protected:
  ProjectionRunnerOptions StateOptions(const std::string& name = "state",
                                       size_t batch_events_max = kProjectionBatchEventsMax) {
    ProjectionRunnerOptions options;
    options.path = dir_.Sub(name);
    options.batch_events_max = batch_events_max;
    options.read_ahead_env = &read_ahead_env_;
    return options;
  }
  std::unique_ptr<ProjectionRunner> OpenRunner(const ProjectionRunnerOptions& options,
                                               std::vector<Projection*> projections) {
    Result<std::unique_ptr<ProjectionRunner>> runner =
        ProjectionRunner::Open(options, std::move(projections));
    EXPECT_TRUE(runner.ok()) << runner.status().ToString();
    return runner.ok() ? std::move(runner).value() : nullptr;
  }
  std::optional<std::string> Read(const ProjectionRunner& runner, std::string_view projection,
                                  std::string_view key) {
    Result<std::optional<std::string>> value = runner.Get(projection, key);
    EXPECT_TRUE(value.ok()) << value.status().ToString();
    return value.ok() ? *value : std::nullopt;
  }

  // Puts `value` under log record `index`'s key with LevelDB directly, as a bad restore would
  // (a wrong value under a right key: the store's record checksum must catch it), then reopens.
  void OverwriteLogRecord(uint64_t index, const std::string& value) {
    log_.reset();
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), dir_.Sub("log"), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    std::string key = "e";  // log_store.h: records are keyed 'e' + big-endian uint64 index
    for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(index >> shift));
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), key, value).ok());
    db.reset();
    log_ = OpenLog(dir_.Sub("log"));
  }

  ReadAheadEnv read_ahead_env_;
  TempDir dir_;
  std::unique_ptr<LogStore> log_ = OpenLog(dir_.Sub("log"));
};

TEST_F(ProjectionRunnerTest, AppliesCommittedEventsAndModulesReadTheState) {
  AppendEvents(*log_, {Mail("m1", {"alice@x", "bob@x"}), Mail("m2", {"alice@x"}), Flags("m1"),
                       Mail("m3", {"carol@x"})});
  TallyProjection tally;
  auto runner = OpenRunner(StateOptions(), {&tally});

  ASSERT_TRUE(runner->ApplyThrough(*log_, 3).ok());
  EXPECT_EQ(runner->applied_index(), 3u);
  EXPECT_EQ(runner->lag(4), 1u);
  EXPECT_EQ(Read(*runner, "tally", "rcpt/alice@x"), "2");
  EXPECT_EQ(Read(*runner, "tally", "rcpt/carol@x"), std::nullopt);  // index 4 not committed yet

  ASSERT_TRUE(runner->ApplyThrough(*log_, 4).ok());
  EXPECT_EQ(runner->applied_index(), 4u);
  EXPECT_EQ(runner->lag(4), 0u);
  EXPECT_EQ(Read(*runner, "tally", "rcpt/carol@x"), "1");
  EXPECT_EQ(Read(*runner, "tally", "type/" + std::to_string(events::Event::kMailReceived)), "3");
  EXPECT_EQ(Read(*runner, "tally", "mail/m1"), "alice@x\nbob@x\n");
}

TEST_F(ProjectionRunnerTest, EventCarriesIndexAndTermFromTheRecord) {
  AppendPayloads(*log_, {Serialize(Flags("a"))});
  ASSERT_TRUE(log_->Append(std::vector<LogRecord>{{2, 7, Serialize(Flags("b"))}}).ok());
  struct Recorder : Projection {
    std::string_view name() const override { return "recorder"; }
    Status Apply(const events::Event& event, ProjectionState&) override {
      seen.emplace_back(event.index(), event.term());
      return Status::Ok();
    }
    std::vector<std::pair<uint64_t, uint64_t>> seen;
  } recorder;
  auto runner = OpenRunner(StateOptions(), {&recorder});
  ASSERT_TRUE(runner->ApplyThrough(*log_, 2).ok());
  EXPECT_EQ(recorder.seen, (std::vector<std::pair<uint64_t, uint64_t>>{{1, 1}, {2, 7}}));
}

TEST_F(ProjectionRunnerTest, ReadsWithinABatchSeeEarlierWritesOfTheSameBatch) {
  // One batch holds the mail and its bounce: the bounce must see the mail's pending writes.
  AppendEvents(*log_, {Mail("m1", {"alice@x"}), Bounce("m1")});
  TallyProjection tally;
  auto runner = OpenRunner(StateOptions(), {&tally});
  ASSERT_TRUE(runner->ApplyThrough(*log_, 2).ok());
  EXPECT_EQ(Read(*runner, "tally", "rcpt/alice@x"), std::nullopt);
  EXPECT_EQ(Read(*runner, "tally", "mail/m1"), std::nullopt);
}

TEST_F(ProjectionRunnerTest, RestartResumesAtTheAppliedIndexWithoutReapplying) {
  std::vector<events::Event> events;
  for (int i = 0; i < 10; ++i) events.push_back(Flags("m" + std::to_string(i)));
  AppendEvents(*log_, events);
  {
    CountingProjection counter("counter");
    auto runner = OpenRunner(StateOptions("state", 4), {&counter});
    ASSERT_TRUE(runner->ApplyThrough(*log_, 10).ok());
    EXPECT_EQ(counter.applied.size(), 10u);
  }
  CountingProjection counter("counter");
  auto runner = OpenRunner(StateOptions("state", 4), {&counter});
  EXPECT_EQ(runner->applied_index(), 10u);
  ASSERT_TRUE(runner->ApplyThrough(*log_, 10).ok());
  EXPECT_TRUE(counter.applied.empty());

  AppendEvents(*log_, {Flags("m10"), Flags("m11")});
  ASSERT_TRUE(runner->ApplyThrough(*log_, 12).ok());
  EXPECT_EQ(counter.applied, (std::vector<uint64_t>{11, 12}));
  EXPECT_EQ(Read(*runner, "counter", "last"), "12");
}

TEST_F(ProjectionRunnerTest, FailureMidBatchKeepsStateAtTheLastCommittedBatch) {
  std::vector<events::Event> events;
  for (int i = 0; i < 12; ++i) events.push_back(Mail("m" + std::to_string(i), {"alice@x"}));
  AppendEvents(*log_, events);
  const std::string mail_type_key = "type/" + std::to_string(events::Event::kMailReceived);
  {
    // Batches of 4: 1-4 and 5-8 commit; the batch 9-12 dies at 10, taking 9 with it.
    TallyProjection tally;
    CountingProjection failing("failing", /*fail_at_index=*/10);
    auto runner = OpenRunner(StateOptions("state", 4), {&tally, &failing});
    Status status = runner->ApplyThrough(*log_, 12);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("projection failing at log record 10"), std::string::npos)
        << status.message();
    EXPECT_EQ(runner->applied_index(), 8u);
    EXPECT_EQ(Read(*runner, "tally", mail_type_key), "8");
    EXPECT_EQ(Read(*runner, "failing", "last"), "8");
  }
  // After the "crash", state and applied index still agree, and resuming applies 9..12 once.
  TallyProjection tally;
  CountingProjection fixed("failing");
  auto runner = OpenRunner(StateOptions("state", 4), {&tally, &fixed});
  EXPECT_EQ(runner->applied_index(), 8u);
  ASSERT_TRUE(runner->ApplyThrough(*log_, 12).ok());
  EXPECT_EQ(fixed.applied, (std::vector<uint64_t>{9, 10, 11, 12}));
  EXPECT_EQ(Read(*runner, "tally", mail_type_key), "12");
  EXPECT_EQ(Read(*runner, "tally", "rcpt/alice@x"), "12");
}

// A seeded mix of mails, bounces (deletes), flags and unknown payloads.
std::vector<std::string> MixedPayloads(size_t count, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<std::string> payloads;
  const std::vector<std::string> recipients = {"alice@x", "bob@x", "carol@x", "dave@y", "eve@y"};
  for (size_t i = 0; i < count; ++i) {
    switch (random() % 5) {
      case 0:
      case 1: {
        std::vector<std::string> to;
        for (const std::string& recipient : recipients) {
          if (random() % 2 == 0) to.push_back(recipient);
        }
        payloads.push_back(Serialize(Mail("m" + std::to_string(i), to)));
        break;
      }
      case 2:
        payloads.push_back(Serialize(Bounce("m" + std::to_string(random() % (i + 1)))));
        break;
      case 3:
        payloads.push_back(Serialize(Flags("m" + std::to_string(i))));
        break;
      default:
        payloads.push_back(UnknownPayloadBytes());
        break;
    }
  }
  return payloads;
}

TEST_F(ProjectionRunnerTest, RebuildReproducesTheIncrementallyBuiltStateHash) {
  AppendPayloads(*log_, MixedPayloads(400, /*seed=*/42));
  std::string incremental_hash;
  {
    // Ragged commit steps and tiny batches: the hash must not depend on either.
    TallyProjection tally;
    CountingProjection counter("counter");
    auto runner = OpenRunner(StateOptions("state", 7), {&tally, &counter});
    for (uint64_t commit : {1, 2, 50, 51, 199, 333, 400}) {
      ASSERT_TRUE(runner->ApplyThrough(*log_, commit).ok());
    }
    Result<std::string> hash = runner->StateHash();
    ASSERT_TRUE(hash.ok());
    incremental_hash = *hash;
    EXPECT_EQ(incremental_hash.size(), 64u);
    // The mix exercised deletes (bounced mails) and unknown payload types.
    EXPECT_GT(tally.mails_bounced, 0);
    EXPECT_GT(tally.unknown_seen, 0);
  }
  TallyProjection tally;
  CountingProjection counter("counter");
  // Into a fresh directory with default batches ...
  Result<std::string> rebuilt = Rebuild(*log_, StateOptions("rebuilt"), {&tally, &counter});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ(*rebuilt, incremental_hash);
  // ... and over the existing state, which Rebuild wipes first.
  TallyProjection tally_again;
  CountingProjection counter_again("counter");
  Result<std::string> rebuilt_in_place =
      Rebuild(*log_, StateOptions("state"), {&tally_again, &counter_again});
  ASSERT_TRUE(rebuilt_in_place.ok()) << rebuilt_in_place.status().ToString();
  EXPECT_EQ(*rebuilt_in_place, incremental_hash);
  EXPECT_EQ(counter_again.applied.size(), 400u);  // replayed from index 1, not resumed
}

TEST_F(ProjectionRunnerTest, StateHashChangesWhenStateDiffers) {
  AppendEvents(*log_, {Mail("m1", {"alice@x"}), Mail("m2", {"bob@x"})});
  std::unique_ptr<LogStore> other_log = OpenLog(dir_.Sub("other_log"));
  AppendEvents(*other_log, {Mail("m1", {"alice@x"}), Mail("m2", {"bobby@x"})});

  TallyProjection a;
  TallyProjection b;
  Result<std::string> hash_a = Rebuild(*log_, StateOptions("a"), {&a});
  Result<std::string> hash_b = Rebuild(*other_log, StateOptions("b"), {&b});
  ASSERT_TRUE(hash_a.ok() && hash_b.ok());
  EXPECT_NE(*hash_a, *hash_b);

  // Same log, applied through a different index: the applied index is part of the state.
  TallyProjection c;
  Result<std::string> hash_c = Rebuild(*log_, StateOptions("c"), {&c}, /*through_index=*/1);
  ASSERT_TRUE(hash_c.ok());
  EXPECT_NE(*hash_a, *hash_c);

  // Same log, same index: same hash.
  TallyProjection d;
  Result<std::string> hash_d = Rebuild(*log_, StateOptions("d"), {&d});
  ASSERT_TRUE(hash_d.ok());
  EXPECT_EQ(*hash_a, *hash_d);
}

TEST_F(ProjectionRunnerTest, UnparseablePayloadIsCorruptionNamingTheIndex) {
  AppendPayloads(*log_, {Serialize(Flags("a")), Serialize(Flags("b")), Serialize(Flags("c")),
                         std::string("\xff\xff\xff\xff", 4), Serialize(Flags("e"))});
  CountingProjection counter("counter");
  auto runner = OpenRunner(StateOptions("state", 2), {&counter});
  Status status = runner->ApplyThrough(*log_, 5);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_NE(status.message().find("log record 4"), std::string::npos) << status.message();
  EXPECT_EQ(runner->applied_index(), 2u);  // the batch 3-4 was discarded whole
  EXPECT_EQ(counter.applied, (std::vector<uint64_t>{1, 2, 3}));
  // It stops there every time: the record is never skipped.
  EXPECT_EQ(runner->ApplyThrough(*log_, 5).code(), StatusCode::kCorruption);
  EXPECT_EQ(runner->applied_index(), 2u);
}

TEST_F(ProjectionRunnerTest, CorruptLogRecordStopsTheReadAheadWithCorruptionNamingTheIndex) {
  std::vector<events::Event> events;
  for (int i = 0; i < 3000; ++i) events.push_back(Flags("m" + std::to_string(i)));
  AppendEvents(*log_, events);
  ASSERT_NO_FATAL_FAILURE(OverwriteLogRecord(2000, "not a record"));
  CountingProjection counter("counter");
  auto runner = OpenRunner(StateOptions("state", 1000), {&counter});
  Status status = runner->ApplyThrough(*log_, 3000);  // 3000 records: read ahead in chunks
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.ToString();
  EXPECT_NE(status.message().find("2000"), std::string::npos) << status.message();
  EXPECT_EQ(runner->applied_index(), 1000u);  // the chunk 1001-2000 never reached a commit
  EXPECT_EQ(counter.applied.size(), 1000u);
}

TEST_F(ProjectionRunnerTest, InlineReadStopsAtACorruptRecordLikeTheReadAhead) {
  std::vector<events::Event> events;
  for (int i = 0; i < 3000; ++i) events.push_back(Flags("m" + std::to_string(i)));
  AppendEvents(*log_, events);
  ASSERT_NO_FATAL_FAILURE(OverwriteLogRecord(2000, "not a record"));
  CountingProjection counter("counter");
  ProjectionRunnerOptions options = StateOptions("state", 1000);
  options.read_ahead = false;  // records parsed in place, straight from LogStore::Visit
  auto runner = OpenRunner(options, {&counter});
  Status status = runner->ApplyThrough(*log_, 3000);
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.ToString();
  EXPECT_NE(status.message().find("log record 2000: checksum mismatch"), std::string::npos)
      << status.message();
  // Records 1001-1999 passed their checks and were handed over, but their batch never committed:
  // the state stays at the last committed batch, as after a projection error.
  EXPECT_EQ(runner->applied_index(), 1000u);
  EXPECT_EQ(Read(*runner, "counter", "last"), "1000");
  EXPECT_EQ(counter.applied.size(), 1999u);
  EXPECT_EQ(counter.applied.back(), 1999u);
  // It stops there every time: the record is never skipped.
  EXPECT_EQ(runner->ApplyThrough(*log_, 3000).code(), StatusCode::kCorruption);
  EXPECT_EQ(runner->applied_index(), 1000u);
}

TEST_F(ProjectionRunnerTest, ReadAheadAndInlineReadsBuildTheSameState) {
  AppendPayloads(*log_, MixedPayloads(2500, /*seed=*/7));
  std::vector<std::string> hashes;
  for (bool read_ahead : {true, false}) {
    for (size_t batch_events : {size_t{1}, size_t{64}, kProjectionBatchEventsMax}) {
      TallyProjection tally;
      CountingProjection counter("counter");
      ProjectionRunnerOptions options = StateOptions(
          "state-" + std::to_string(read_ahead) + "-" + std::to_string(batch_events), batch_events);
      options.read_ahead = read_ahead;
      Result<std::string> hash = Rebuild(*log_, options, {&tally, &counter});
      ASSERT_TRUE(hash.ok()) << hash.status().ToString();
      hashes.push_back(*hash);
      ASSERT_EQ(counter.applied.size(), 2500u);
      for (uint64_t i = 0; i < 2500; ++i) ASSERT_EQ(counter.applied[i], i + 1);
      EXPECT_GT(tally.mails_bounced, 0);
    }
  }
  for (const std::string& hash : hashes) EXPECT_EQ(hash, hashes.front());
}

TEST_F(ProjectionRunnerTest, BatchCallbackReportsProgressAndCanStopEarly) {
  std::vector<events::Event> events;
  for (int i = 0; i < 10; ++i) events.push_back(Flags("m" + std::to_string(i)));
  AppendEvents(*log_, events);
  NoopProjection noop;
  auto runner = OpenRunner(StateOptions("state", 3), {&noop});
  std::vector<uint64_t> reported;
  ASSERT_TRUE(runner
                  ->ApplyThrough(*log_, 10,
                                 [&](uint64_t applied) {
                                   reported.push_back(applied);
                                   return applied < 6;
                                 })
                  .ok());
  EXPECT_EQ(reported, (std::vector<uint64_t>{3, 6}));
  EXPECT_EQ(runner->applied_index(), 6u);
  reported.clear();
  ASSERT_TRUE(runner
                  ->ApplyThrough(*log_, 10,
                                 [&](uint64_t applied) {
                                   reported.push_back(applied);
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(reported, (std::vector<uint64_t>{9, 10}));
}

TEST_F(ProjectionRunnerTest, UnknownPayloadTypeIsSkippedByProjections) {
  AppendPayloads(*log_, {Serialize(Mail("m1", {"alice@x"})), UnknownPayloadBytes(),
                         Serialize(Mail("m2", {"alice@x"}))});
  TallyProjection tally;
  auto runner = OpenRunner(StateOptions(), {&tally});
  ASSERT_TRUE(runner->ApplyThrough(*log_, 3).ok());
  EXPECT_EQ(runner->applied_index(), 3u);
  EXPECT_EQ(tally.unknown_seen, 1);
  EXPECT_EQ(Read(*runner, "tally", "rcpt/alice@x"), "2");
  EXPECT_EQ(Read(*runner, "tally", "type/0"), std::nullopt);
}

TEST_F(ProjectionRunnerTest, NewProjectionCatchesUpWhileOthersDoNotReapply) {
  AppendEvents(*log_, {Flags("a"), Flags("b"), Flags("c")});
  {
    CountingProjection old_one("old");
    auto runner = OpenRunner(StateOptions(), {&old_one});
    ASSERT_TRUE(runner->ApplyThrough(*log_, 3).ok());
  }
  CountingProjection old_one("old");
  CountingProjection new_one("new");
  auto runner = OpenRunner(StateOptions(), {&old_one, &new_one});
  EXPECT_EQ(runner->applied_index(), 0u);
  EXPECT_EQ(runner->applied_index_of("old"), 3u);
  ASSERT_TRUE(runner->ApplyThrough(*log_, 3).ok());
  EXPECT_TRUE(old_one.applied.empty());
  EXPECT_EQ(new_one.applied, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(runner->applied_index(), 3u);
}

TEST_F(ProjectionRunnerTest, CompactedLogIsRefused) {
  AppendEvents(*log_, {Flags("a"), Flags("b"), Flags("c"), Flags("d")});
  ASSERT_TRUE(log_->CompactPrefix(2).ok());

  NoopProjection noop;
  Result<std::string> rebuilt = Rebuild(*log_, StateOptions("rebuilt"), {&noop});
  EXPECT_EQ(rebuilt.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(rebuilt.status().message().find("compacted up to index 2"), std::string::npos)
      << rebuilt.status().message();

  // A runner that still needs record 1 cannot continue either.
  auto runner = OpenRunner(StateOptions("fresh"), {&noop});
  EXPECT_EQ(runner->ApplyThrough(*log_, 4).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(runner->applied_index(), 0u);
}

TEST_F(ProjectionRunnerTest, StateAheadOfTheLogIsRefused) {
  AppendEvents(*log_, {Flags("a"), Flags("b")});
  NoopProjection noop;
  auto runner = OpenRunner(StateOptions(), {&noop});
  ASSERT_TRUE(runner->ApplyThrough(*log_, 2).ok());
  std::unique_ptr<LogStore> other_log = OpenLog(dir_.Sub("other_log"));
  AppendEvents(*other_log, {Flags("a")});
  EXPECT_EQ(runner->ApplyThrough(*other_log, 1).code(), StatusCode::kFailedPrecondition);
}

// A ManualEnv whose Post also wakes a waiting test thread, so tests wait on a condition with a
// bound instead of sleeping. Its executors are the production ones on real threads: the tests
// look at the worker thread's name and niceness, and at the seccomp filter it inherits.
class WakingEnv : public simulator::ManualEnv {
 public:
  WakingEnv() : ManualEnv(/*seed=*/1) {}
  std::unique_ptr<SerialExecutor> NewSerialExecutor(std::string name) override {
    return std::make_unique<ThreadSerialExecutor>(std::move(name));
  }
  void Post(std::function<void()> closure) override {
    ManualEnv::Post(std::move(closure));
    { std::lock_guard lock(mutex_); }
    posted_.notify_all();
  }
  // Runs posted closures on this (the "loop") thread until `done` holds or `bound` passes.
  bool RunPostedUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds bound = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return posted_.wait_for(lock, bound, [&] {
      RunPosted();
      return done();
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable posted_;
};

TEST_F(ProjectionRunnerTest, WorkerAppliesOnNotifyAndPostsTheAppliedIndexToTheLoop) {
  std::vector<events::Event> events;
  for (int i = 0; i < 2500; ++i) events.push_back(Mail("m" + std::to_string(i), {"alice@x"}));
  AppendEvents(*log_, events);
  TallyProjection tally;
  auto runner = OpenRunner(StateOptions(), {&tally});
  WakingEnv env;
  std::vector<uint64_t> reported;  // loop thread only
  ProjectionWorker worker(env, *runner, *log_, [&](Result<uint64_t> applied) {
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    reported.push_back(*applied);
  });
  worker.Start();

  worker.NotifyCommitted(2000);
  ASSERT_TRUE(env.RunPostedUntil([&] { return !reported.empty() && reported.back() == 2000; }));
  // A long catch-up is reported batch by batch, in order.
  EXPECT_GT(reported.size(), 1u);
  EXPECT_TRUE(std::is_sorted(reported.begin(), reported.end()));
  EXPECT_EQ(Read(*runner, "tally", "rcpt/alice@x"), "2000");

  // A notification past the log's end applies what the log holds and then waits.
  worker.NotifyCommitted(2600);
  ASSERT_TRUE(env.RunPostedUntil([&] { return reported.back() == 2500; }));
  AppendEvents(*log_, {Mail("late", {"alice@x"})});
  worker.NotifyCommitted(2601);
  ASSERT_TRUE(env.RunPostedUntil([&] { return reported.back() == 2501; }));
  EXPECT_EQ(Read(*runner, "tally", "rcpt/alice@x"), "2501");
  worker.Stop();
}

TEST_F(ProjectionRunnerTest, WorkerLingersToFoldCommitsInOneBatch) {
  std::vector<events::Event> events;
  for (int i = 0; i < 5; ++i) events.push_back(Mail("m" + std::to_string(i), {"alice@x"}));
  AppendEvents(*log_, events);
  TallyProjection tally;
  auto runner = OpenRunner(StateOptions(), {&tally});
  WakingEnv env;
  std::vector<uint64_t> reported;  // loop thread only
  // On the Env's clock: nothing lingers in real time.
  constexpr auto kLinger = std::chrono::milliseconds(300);
  ProjectionWorker worker(
      env, *runner, *log_,
      [&](Result<uint64_t> applied) {
        ASSERT_TRUE(applied.ok()) << applied.status().ToString();
        reported.push_back(*applied);
      },
      ProjectionWorkerOptions{.linger = kLinger});
  worker.Start();
  worker.NotifyCommitted(1);
  env.Advance(kLinger - std::chrono::milliseconds(1));  // the linger timer starts, not fires
  for (uint64_t index = 2; index <= 5; ++index) worker.NotifyCommitted(index);
  EXPECT_TRUE(reported.empty()) << "nothing folded while lingering";
  EXPECT_EQ(env.pending_timers(), 1u);
  env.Advance(std::chrono::milliseconds(1));  // the linger ends: one pass
  ASSERT_TRUE(env.RunPostedUntil([&] { return !reported.empty() && reported.back() == 5; }));
  EXPECT_EQ(reported, std::vector<uint64_t>{5}) << "one batch for the five commits";
  EXPECT_EQ(Read(*runner, "tally", "rcpt/alice@x"), "5");
}

// The niceness of this process's thread named `name`, from /proc (field 19 of .../stat), or
// nullopt when no such thread exists.
std::optional<int> NicenessOfThread(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string thread_name;
    if (!std::getline(comm, thread_name) || thread_name != name) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
    std::string field;
    for (int number = 3; number <= 19 && fields >> field; ++number) {
      if (number == 19) return std::stoi(field);
    }
  }
  return std::nullopt;
}

TEST_F(ProjectionRunnerTest, WorkerThreadRunsAtItsNiceness) {
  AppendEvents(*log_, {Mail("m", {"alice@x"})});
  TallyProjection tally;
  auto runner = OpenRunner(StateOptions(), {&tally});
  WakingEnv env;
  std::vector<uint64_t> reported;
  ProjectionWorker worker(
      env, *runner, *log_, [&](Result<uint64_t> applied) { reported.push_back(*applied); },
      ProjectionWorkerOptions{.nice = 7});
  worker.Start();
  worker.NotifyCommitted(1);
  // Applied means the thread is past its start, where it set its niceness.
  ASSERT_TRUE(env.RunPostedUntil([&] { return !reported.empty(); }));
  EXPECT_EQ(NicenessOfThread("lb-projections"), 7);
  worker.Stop();
}

// Installs on the calling thread a seccomp filter under which setpriority(2) fails with EPERM,
// as systemd's SystemCallFilter= with SystemCallErrorNumber=EPERM does to the node. Seccomp
// filters and no_new_privs belong to a thread and the threads it starts: the rest of the test
// process keeps neither. The filter looks at the call number only (the test makes native calls).
bool RefuseSetpriorityOnThisThread() {
  sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setpriority, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog filter{.len = static_cast<unsigned short>(std::size(program)), .filter = program};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) == 0;
}

TEST_F(ProjectionRunnerTest, WorkerRefusedItsNicenessAppliesAtTheInheritedOneAndReportsItOnce) {
  AppendEvents(*log_, {Mail("m", {"alice@x"})});
  TallyProjection tally;
  auto runner = OpenRunner(StateOptions(), {&tally});
  WakingEnv env;
  std::vector<uint64_t> reported;  // loop thread only
  std::vector<Status> refusals;    // loop thread only
  ProjectionWorker worker(
      env, *runner, *log_, [&](Result<uint64_t> applied) { reported.push_back(*applied); },
      ProjectionWorkerOptions{
          .nice = 7, .on_nice_refused = [&](Status refusal) { refusals.push_back(refusal); }});
  // The worker thread inherits the filter (and the niceness) of the thread that starts it.
  bool filtered = false;
  std::thread starter([&] {
    filtered = RefuseSetpriorityOnThisThread();
    if (filtered) worker.Start();
  });
  starter.join();
  ASSERT_TRUE(filtered) << "seccomp: " << std::strerror(errno);

  worker.NotifyCommitted(1);
  ASSERT_TRUE(env.RunPostedUntil([&] { return !reported.empty(); }));
  // The refusal is posted before the first batch, and the worker applied regardless.
  EXPECT_EQ(reported.back(), 1u);
  EXPECT_EQ(Read(*runner, "tally", "rcpt/alice@x"), "1");
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0].code(), StatusCode::kIoError);
  EXPECT_NE(refusals[0].message().find("setpriority(7)"), std::string::npos);
  EXPECT_NE(refusals[0].message().find(std::strerror(EPERM)), std::string::npos);
  EXPECT_EQ(NicenessOfThread("lb-projections"), getpriority(PRIO_PROCESS, 0)) << "this thread's";

  AppendEvents(*log_, {Mail("m2", {"alice@x"})});
  worker.NotifyCommitted(2);
  ASSERT_TRUE(env.RunPostedUntil([&] { return reported.back() == 2; }));
  worker.Stop();
  env.RunPosted();
  EXPECT_EQ(refusals.size(), 1u) << "reported once";
}

TEST_F(ProjectionRunnerTest, StopDoesNotWaitOutTheLinger) {
  AppendEvents(*log_, {Mail("m", {"alice@x"})});
  TallyProjection tally;
  auto runner = OpenRunner(StateOptions(), {&tally});
  WakingEnv env;
  ProjectionWorker worker(
      env, *runner, *log_, [](Result<uint64_t>) {},
      ProjectionWorkerOptions{.linger = std::chrono::hours(1)});
  worker.Start();
  worker.NotifyCommitted(1);
  env.RunPosted();  // the worker now lingers for an hour (of the Env's clock)
  EXPECT_EQ(env.pending_timers(), 1u);
  const auto before = std::chrono::steady_clock::now();
  worker.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(30));
  EXPECT_EQ(env.pending_timers(), 0u) << "the linger is cancelled";
  env.Advance(std::chrono::hours(2));
  EXPECT_EQ(runner->applied_index(), 0u) << "nothing applied after Stop()";
}

// Under a plain ManualEnv no thread runs: a pass happens when the test drives the env, and the
// linger is virtual time.
TEST_F(ProjectionRunnerTest, WorkerUnderTheManualEnvFoldsWhenDrivenAndLingersInVirtualTime) {
  AppendEvents(*log_, {Mail("m1", {"alice@x"}), Mail("m2", {"alice@x"}), Mail("m3", {"alice@x"})});
  TallyProjection tally;
  auto runner = OpenRunner(StateOptions(), {&tally});
  simulator::ManualEnv env(1);
  std::vector<uint64_t> reported;
  constexpr auto kLinger = std::chrono::milliseconds(50);
  ProjectionWorker worker(
      env, *runner, *log_, [&](Result<uint64_t> applied) { reported.push_back(*applied); },
      ProjectionWorkerOptions{.linger = kLinger});
  worker.Start();
  worker.NotifyCommitted(2);
  env.RunUntilIdle();  // starts the linger timer; nothing is folded yet
  EXPECT_TRUE(reported.empty());
  EXPECT_EQ(runner->applied_index(), 0u);
  worker.NotifyCommitted(3);  // joins the pass the linger will submit
  env.Advance(kLinger);
  EXPECT_EQ(reported, std::vector<uint64_t>{3});
  EXPECT_EQ(Read(*runner, "tally", "rcpt/alice@x"), "3");
  EXPECT_EQ(env.pending_work(), 0u);
  worker.Stop();
}

TEST_F(ProjectionRunnerTest, WorkerPostsAnApplyErrorOnceAndStops) {
  AppendEvents(*log_, {Flags("a"), Flags("b"), Flags("c")});
  CountingProjection failing("failing", /*fail_at_index=*/2);
  auto runner = OpenRunner(StateOptions(), {&failing});
  WakingEnv env;
  std::vector<Status> errors;
  ProjectionWorker worker(env, *runner, *log_, [&](Result<uint64_t> applied) {
    if (!applied.ok()) errors.push_back(applied.status());
  });
  worker.Start();
  worker.NotifyCommitted(3);
  ASSERT_TRUE(env.RunPostedUntil([&] { return !errors.empty(); }));
  worker.NotifyCommitted(3);  // ignored: the worker has stopped applying
  worker.Stop();
  env.RunPosted();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message().find("log record 2"), std::string::npos);
  EXPECT_EQ(runner->applied_index(), 0u);
}

}  // namespace
}  // namespace lifeboat::eventlog
