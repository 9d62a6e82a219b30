#pragma once
// Group commit: many proposals, one fsync (DESIGN.md "Data path" step 3; the idea of LevelDB's
// DBImpl::Write writer queue and of Postfix's queue manager, moved onto a storage executor).
//
// The loop thread calls Append() and returns at once. A drain task on the writer's own serial
// executor (Env::NewSerialExecutor "lb-log-commit": one thread in production, a step the
// simulator drives in virtual time) takes everything queued (up to a batch limit), gives the
// records consecutive indices, writes them with ONE synced LogStore::Append, then posts the
// callbacks back to the loop thread through Env::Post, in index order, and after them the durable
// listeners. The loop thread never waits on fsync.
//
// When the next batch starts (event driven, no timed wait): when the loop has run the callbacks
// of the batches already written, or at once when a full batch is queued or the writer is shutting
// down. Proposers often propose again from their callback (an SMTP session moves to its next
// message); starting the next batch only once those callbacks ran lets their proposals join it,
// instead of N proposers splitting into two half-full batches per two fsyncs.
//
// Failure model (DESIGN.md "Storage"): after a failed write nobody knows which pages reached the
// disk, and retrying fsync on the same file can report success for lost data (the PostgreSQL
// "fsyncgate" lesson). So the first storage error makes the writer read-only for good: that batch
// and every later Append get IoError. Recovery is a restart, which re-reads the log.
//
// Ownership: `env` and `store` must outlive the writer. The writer's executor is the only user of
// `store`'s mutating methods while the writer lives; others may Read (see log_store.h).

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "eventlog/log_store.h"

namespace lifeboat::eventlog {

// Limits, units last (STYLE.md rule 8).
inline constexpr size_t kGroupCommitBatchBytesMax = 8u << 20;    // payload bytes per fsync
inline constexpr size_t kGroupCommitBatchRecordsMax = 4096;      // records per fsync
inline constexpr size_t kGroupCommitQueueBytesMax = 256u << 20;  // queued + in-flight payload

// Histogram buckets exported for metrics. Records per batch: upper bounds 1, 2, 4, ... 4096.
inline constexpr size_t kBatchRecordsBucketCount = 13;
// Append (fsync) latency: upper bounds 2^k microseconds for k = 4..23 (16 us .. ~8.4 s), plus
// an overflow bucket.
inline constexpr size_t kFsyncLatencyBucketCount = 21;
inline constexpr int kFsyncLatencyFirstBucketLog2Micros = 4;

// Consulted on the storage thread right before a batch is written: the index of its first record,
// its record count and payload bytes. An error refuses the whole batch with that status (a disk
// reserve answers ResourceExhausted: appliance/disk_reserve.h); the writer stays writable, since
// nothing was written. Must not block on the disk.
using BatchAdmission =
    std::function<Status(uint64_t first_index, size_t records, size_t payload_bytes)>;

struct GroupCommitOptions {
  size_t batch_bytes_max = kGroupCommitBatchBytesMax;
  size_t batch_records_max = kGroupCommitBatchRecordsMax;
  size_t queue_bytes_max = kGroupCommitQueueBytesMax;
  // TEST ONLY, never set in production: posts each batch's callbacks BEFORE its synced write,
  // breaking STYLE.md rule 5 on purpose, so that the power-cut test can prove it detects
  // acknowledged events that a cut then loses (tests/unit/eventlog/power_cut_test.cc).
  bool acknowledge_before_sync_for_tests = false;
  BatchAdmission admit_batch;  // nullptr: every batch is written
};

// Cumulative figures since the writer started; a consistent snapshot from any thread.
struct GroupCommitStats {
  uint64_t appended_events = 0;  // records made durable
  uint64_t appended_bytes = 0;   // their payload bytes
  uint64_t batches = 0;          // successful LogStore::Append calls (one fsync each)
  uint64_t failed_events = 0;    // callbacks that got an error (any code)
  uint64_t fsync_nanos_total = 0;
  uint64_t fsync_nanos_max = 0;
  // batch_records_histogram[k]: batches with records <= 2^k (and > 2^(k-1)).
  std::array<uint64_t, kBatchRecordsBucketCount> batch_records_histogram{};
  // fsync_latency_histogram[k]: calls with latency <= 2^(k+4) us (and above the previous bound);
  // the last bucket counts everything slower.
  std::array<uint64_t, kFsyncLatencyBucketCount> fsync_latency_histogram{};
  bool read_only = false;
};

class GroupCommitWriter {
 public:
  // Runs on the loop thread, exactly once per Append: the record's index once it is durable, or
  // an error (ResourceExhausted: queue full; InvalidArgument: too large or term below the log's;
  // IoError: storage failed, writer read-only; Unavailable: shut down).
  using Done = std::function<void(Result<uint64_t> index)>;
  // Runs on the loop thread after each durable batch, after that batch's callbacks.
  using DurableListener = std::function<void(uint64_t durable_last_index)>;

  // Makes the writer's executor. The durable index starts at store.last_index().
  GroupCommitWriter(Env& env, LogStore& store, GroupCommitOptions options = {});
  // Shuts down if Shutdown() was not called.
  ~GroupCommitWriter();
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  // Loop thread. Queues `payload` with `term`; never blocks on the disk. Errors are delivered
  // through `done` (posted, never called from inside Append).
  void Append(uint64_t term, std::string payload, Done done);

  // Runs on the loop thread, exactly once per AppendAt, with LogStore::AppendAt's outcome.
  using AppendAtDone = std::function<void(Status)>;
  // Loop thread. Queues records that carry their own indices and terms (a Raft follower's
  // AppendEntries): written by LogStore::AppendAt(records, keep_through) on the writer's executor,
  // in queue order with the proposals around it and alone in its batch. A refused call
  // (InvalidArgument, FailedPrecondition) writes nothing and leaves the writer as it was; an
  // IoError makes it read-only like a failed Append. When it wrote, the durable listeners then see
  // the log's new last index, which is lower than before when a conflicting suffix was replaced
  // by fewer records: durable is not committed (proposer.h), and only an uncommitted suffix is
  // ever replaced.
  void AppendAt(std::vector<LogRecord> records, uint64_t keep_through, AppendAtDone done);

  // Loop thread, before or while appending.
  void AddDurableListener(DurableListener listener);

  // Loop thread. Writes everything already queued, posts every callback, shuts the executor down
  // (SerialExecutor::Shutdown drains it). Later Appends get Unavailable. The posted callbacks run
  // when the loop next runs posted closures. Idempotent.
  void Shutdown();

  // Loop thread: the last index whose callbacks (and listeners) have run.
  uint64_t durable_last_index() const { return loop_state_->durable_last_index; }

  // Any thread.
  GroupCommitStats stats() const;
  bool read_only() const;

 private:
  // What posted closures touch on the loop thread. Shared so closures still queued in the Env
  // after the writer is destroyed stay valid.
  struct LoopState {
    std::vector<DurableListener> listeners;  // loop thread only
    uint64_t durable_last_index = 0;         // loop thread only
    GroupCommitWriter* writer = nullptr;     // loop thread only; null once shut down
  };

  // A proposal (term, payload, done) or, when at_done is set, one AppendAt call.
  struct Pending {
    uint64_t term = 0;
    std::string payload;
    Done done;
    std::vector<LogRecord> at_records;
    uint64_t keep_through = 0;
    AppendAtDone at_done;
    size_t bytes() const;
  };

  // Executor: writes batches while DrainDue(); the one drain task submitted or running.
  void Drain();
  // Guarded by mutex_: the queue holds work that may start now (see the header comment).
  bool DrainDueLocked() const;
  // Guarded by mutex_: marks a drain task as submitted if one is due and none is; true if the
  // caller must then submit it (outside the lock).
  bool ClaimDrainLocked();
  // Loop thread, from a posted closure: the callbacks of one batch have run.
  void OnBatchDelivered();
  // Executor: writes one batch and posts its callbacks.
  void WriteBatch(std::vector<Pending> batch);
  // Executor: one AppendAt call, and its callback.
  void WriteAt(Pending at);
  // Storage thread: options_.admit_batch on the records about to be written (Ok when unset).
  Status AdmitBatch(std::span<const LogRecord> records) const;
  // Loop thread, from a posted closure: a new durable last index (lower after a replaced suffix).
  static void PublishDurable(LoopState& loop_state, uint64_t durable_last_index);
  // Queues `pending` (moved from) and charges the queue bound with its bytes; or leaves it as it
  // was and returns the refusal (shut down, read-only, queue full).
  Status Enqueue(Pending& pending);
  // Releases the batch's `charged_bytes` from the queue bound and posts the callbacks of `batch`
  // with `results` (same order) and, when `durable_last_index` is set, the listeners after them.
  void PostResults(std::vector<Pending> batch, std::vector<Result<uint64_t>> results,
                   std::optional<uint64_t> durable_last_index, size_t charged_bytes);
  void RecordBatchStats(size_t records, size_t bytes, Duration fsync_time);

  Env& env_;
  LogStore& store_;
  const GroupCommitOptions options_;

  // Loop thread only.
  std::shared_ptr<LoopState> loop_state_;
  bool shut_down_ = false;

  mutable std::mutex mutex_;
  std::deque<Pending> queue_;         // guarded by mutex_
  size_t queued_bytes_ = 0;           // queued and in flight; guarded by mutex_
  bool stopping_ = false;             // guarded by mutex_
  bool draining_ = false;             // guarded by mutex_: a Drain task submitted or running
  uint64_t undelivered_batches_ = 0;  // guarded by mutex_: posted, callbacks not yet run
  bool read_only_ = false;            // guarded by mutex_
  GroupCommitStats stats_;            // guarded by mutex_
  std::unique_ptr<SerialExecutor> executor_;  // "lb-log-commit"
};

}  // namespace lifeboat::eventlog
