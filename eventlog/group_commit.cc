#include "eventlog/group_commit.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace lifeboat::eventlog {
namespace {

size_t BatchRecordsBucket(size_t records) {
  LB_CHECK(records >= 1);
  const size_t bucket = static_cast<size_t>(std::bit_width(records - 1));  // ceil(log2(records))
  return std::min(bucket, kBatchRecordsBucketCount - 1);
}

size_t FsyncLatencyBucket(Duration latency) {
  const auto micros = static_cast<uint64_t>(
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::microseconds>(latency).count()));
  const int log2_ceiling = std::bit_width(micros - 1);
  const int bucket = std::max(0, log2_ceiling - kFsyncLatencyFirstBucketLog2Micros);
  return std::min(static_cast<size_t>(bucket), kFsyncLatencyBucketCount - 1);
}

}  // namespace

GroupCommitWriter::GroupCommitWriter(Env& env, LogStore& store, GroupCommitOptions options)
    : env_(env), store_(store), options_(options), loop_state_(std::make_shared<LoopState>()) {
  LB_CHECK(options_.batch_records_max >= 1);
  LB_CHECK(options_.batch_bytes_max >= 1);
  loop_state_->durable_last_index = store_.last_index();
  loop_state_->writer = this;
  executor_ = env_.NewSerialExecutor("lb-log-commit");
}

GroupCommitWriter::~GroupCommitWriter() {
  Shutdown();
}

size_t GroupCommitWriter::Pending::bytes() const {
  size_t total = payload.size();
  for (const LogRecord& record : at_records) total += record.payload.size();
  return total;
}

void GroupCommitWriter::Append(uint64_t term, std::string payload, Done done) {
  LB_CHECK(done != nullptr);
  Pending pending;
  pending.term = term;
  pending.payload = std::move(payload);
  pending.done = std::move(done);
  Status queued = Status::Ok();
  if (pending.payload.size() > kLogRecordPayloadBytesMax) {
    queued = Status::InvalidArgument(
        "group commit: payload of " + std::to_string(pending.payload.size()) +
        " bytes exceeds the limit of " + std::to_string(kLogRecordPayloadBytesMax));
  } else {
    queued = Enqueue(pending);
  }
  if (queued.ok()) return;
  {
    std::lock_guard lock(mutex_);
    ++stats_.failed_events;
  }
  env_.Post([done = std::move(pending.done), queued = std::move(queued)] { done(queued); });
}

void GroupCommitWriter::AppendAt(std::vector<LogRecord> records, uint64_t keep_through,
                                 AppendAtDone done) {
  LB_CHECK(done != nullptr);
  Pending pending;
  pending.at_records = std::move(records);
  pending.keep_through = keep_through;
  pending.at_done = std::move(done);
  Status queued = Enqueue(pending);
  if (queued.ok()) return;
  env_.Post([done = std::move(pending.at_done), queued = std::move(queued)] { done(queued); });
}

Status GroupCommitWriter::Enqueue(Pending& pending) {
  if (shut_down_) return Status::Unavailable("group commit: the writer is shut down");
  const size_t bytes = pending.bytes();
  std::unique_lock lock(mutex_);
  if (read_only_) {
    return Status::IoError("group commit: the log is read-only after a storage error");
  }
  if (queued_bytes_ + bytes > options_.queue_bytes_max) {
    return Status::ResourceExhausted("group commit: queue holds " + std::to_string(queued_bytes_) +
                                     " bytes, limit " + std::to_string(options_.queue_bytes_max));
  }
  queued_bytes_ += bytes;
  queue_.push_back(std::move(pending));
  const bool submit = ClaimDrainLocked();
  lock.unlock();
  if (submit) executor_->Submit([this] { Drain(); });
  return Status::Ok();
}

void GroupCommitWriter::AddDurableListener(DurableListener listener) {
  LB_CHECK(listener != nullptr);
  loop_state_->listeners.push_back(std::move(listener));
}

void GroupCommitWriter::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  bool submit;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;  // a running Drain now writes the rest without waiting for deliveries
    submit = ClaimDrainLocked();
  }
  if (submit) executor_->Submit([this] { Drain(); });
  executor_->Shutdown();
  loop_state_->writer = nullptr;  // deliveries still posted must not start batches
}

GroupCommitStats GroupCommitWriter::stats() const {
  std::lock_guard lock(mutex_);
  GroupCommitStats copy = stats_;
  copy.read_only = read_only_;
  return copy;
}

bool GroupCommitWriter::read_only() const {
  std::lock_guard lock(mutex_);
  return read_only_;
}

bool GroupCommitWriter::DrainDueLocked() const {
  if (queue_.empty()) return false;
  // See the header: wait for the loop to run the callbacks already posted (their proposers may
  // propose again and join this batch), unless waiting cannot add to the batch or must not wait.
  return undelivered_batches_ == 0 || stopping_ || queue_.size() >= options_.batch_records_max;
}

bool GroupCommitWriter::ClaimDrainLocked() {
  if (draining_ || !DrainDueLocked()) return false;
  draining_ = true;
  return true;
}

void GroupCommitWriter::OnBatchDelivered() {
  bool submit;
  {
    std::lock_guard lock(mutex_);
    LB_CHECK(undelivered_batches_ > 0);
    --undelivered_batches_;
    submit = ClaimDrainLocked();
  }
  if (submit) executor_->Submit([this] { Drain(); });
}

void GroupCommitWriter::Drain() {
  for (;;) {
    std::vector<Pending> batch;
    {
      std::lock_guard lock(mutex_);
      LB_CHECK(draining_);
      // Checked under the same lock as every claim: a batch that becomes due after this returns
      // finds draining_ false and submits a new task.
      if (!DrainDueLocked()) {
        draining_ = false;
        return;
      }
      size_t batch_bytes = 0;
      // An AppendAt goes alone. Otherwise take at least one proposal, then as many as fit the
      // batch limits, up to the next AppendAt.
      if (queue_.front().at_done != nullptr) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } else {
        while (!queue_.empty() && queue_.front().at_done == nullptr &&
               batch.size() < options_.batch_records_max &&
               (batch.empty() ||
                batch_bytes + queue_.front().payload.size() <= options_.batch_bytes_max)) {
          batch_bytes += queue_.front().payload.size();
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
    }
    if (batch.front().at_done != nullptr) {
      WriteAt(std::move(batch.front()));
    } else {
      WriteBatch(std::move(batch));
    }
  }
}

void GroupCommitWriter::WriteBatch(std::vector<Pending> batch) {
  size_t batch_bytes = 0;
  for (const Pending& pending : batch) batch_bytes += pending.payload.size();
  std::vector<Result<uint64_t>> results;
  results.reserve(batch.size());

  bool read_only;
  {
    std::lock_guard lock(mutex_);
    read_only = read_only_;
  }
  if (read_only) {
    for (size_t i = 0; i < batch.size(); ++i) {
      results.push_back(
          Status::IoError("group commit: the log is read-only after a storage error"));
    }
    PostResults(std::move(batch), std::move(results), std::nullopt, batch_bytes);
    return;
  }

  // Assign indices; a record whose term is below the log's is refused alone, not its batch.
  std::vector<LogRecord> records;
  records.reserve(batch.size());
  uint64_t next_index = store_.last_index() + 1;
  uint64_t term_floor = store_.last_term();
  for (Pending& pending : batch) {
    if (pending.term < term_floor) {
      results.push_back(
          Status::InvalidArgument("group commit: term " + std::to_string(pending.term) +
                                  " is below the log's term " + std::to_string(term_floor)));
      continue;
    }
    term_floor = pending.term;
    results.push_back(next_index);
    LogRecord& record = records.emplace_back();
    record.index = next_index++;
    record.term = pending.term;
    record.payload = std::move(pending.payload);  // the callback needs only the index
  }

  Status admitted = AdmitBatch(records);
  if (!admitted.ok()) {
    for (Result<uint64_t>& result : results) {
      if (result.ok()) result = admitted;
    }
    PostResults(std::move(batch), std::move(results), std::nullopt, batch_bytes);
    return;
  }

  Status status = Status::Ok();
  Duration fsync_time{0};
  if (options_.acknowledge_before_sync_for_tests && !records.empty()) {
    // The deliberate bug (group_commit.h): success goes out first; the real callbacks get none.
    std::vector<Done> early;
    for (Pending& pending : batch) early.push_back(std::exchange(pending.done, [](auto) {}));
    env_.Post([early = std::move(early), acks = results]() mutable {
      for (size_t i = 0; i < early.size(); ++i) early[i](std::move(acks[i]));
    });
  }
  if (!records.empty()) {
    const MonoTime start = env_.MonotonicNow();
    status = store_.Append(records);
    fsync_time = env_.MonotonicNow() - start;
  }
  if (!status.ok()) {
    const Status failure = Status::IoError("group commit: " + status.ToString());
    for (Result<uint64_t>& result : results) {
      if (result.ok()) result = failure;
    }
    {
      std::lock_guard lock(mutex_);
      read_only_ = true;
    }
    PostResults(std::move(batch), std::move(results), std::nullopt, batch_bytes);
    return;
  }
  if (!records.empty()) {
    size_t record_bytes = 0;
    for (const LogRecord& record : records) record_bytes += record.payload.size();
    RecordBatchStats(records.size(), record_bytes, fsync_time);
  }
  std::optional<uint64_t> durable;
  if (!records.empty()) durable = records.back().index;
  PostResults(std::move(batch), std::move(results), durable, batch_bytes);
}

void GroupCommitWriter::WriteAt(Pending at) {
  const size_t charged_bytes = at.bytes();
  bool read_only;
  {
    std::lock_guard lock(mutex_);
    read_only = read_only_;
  }
  Status status = Status::IoError("group commit: the log is read-only after a storage error");
  std::optional<uint64_t> durable;
  if (!read_only) status = AdmitBatch(at.at_records);
  if (!read_only && status.ok()) {
    const uint64_t last_before = store_.last_index();
    const MonoTime start = env_.MonotonicNow();
    status = store_.AppendAt(at.at_records, at.keep_through);
    const Duration fsync_time = env_.MonotonicNow() - start;
    if (status.code() == StatusCode::kIoError) {
      status = Status::IoError("group commit: " + status.ToString());
      std::lock_guard lock(mutex_);
      read_only_ = true;
    } else if (status.ok() && store_.last_index() != last_before) {
      durable = store_.last_index();
      RecordBatchStats(at.at_records.size(), charged_bytes, fsync_time);
    }
  }
  {
    std::lock_guard lock(mutex_);
    LB_CHECK(queued_bytes_ >= charged_bytes);
    queued_bytes_ -= charged_bytes;
    ++undelivered_batches_;  // before the post: its delivery must find it counted
  }
  env_.Post([done = std::move(at.at_done), status = std::move(status), durable,
             loop_state = loop_state_]() mutable {
    done(std::move(status));
    if (durable.has_value()) PublishDurable(*loop_state, *durable);
    if (loop_state->writer != nullptr) loop_state->writer->OnBatchDelivered();
  });
}

Status GroupCommitWriter::AdmitBatch(std::span<const LogRecord> records) const {
  if (records.empty() || options_.admit_batch == nullptr) return Status::Ok();
  size_t payload_bytes = 0;
  for (const LogRecord& record : records) payload_bytes += record.payload.size();
  return options_.admit_batch(records.front().index, records.size(), payload_bytes);
}

void GroupCommitWriter::PublishDurable(LoopState& loop_state, uint64_t durable_last_index) {
  loop_state.durable_last_index = durable_last_index;
  for (const DurableListener& listener : loop_state.listeners) listener(durable_last_index);
}

void GroupCommitWriter::RecordBatchStats(size_t records, size_t bytes, Duration fsync_time) {
  std::lock_guard lock(mutex_);
  stats_.appended_events += records;
  stats_.appended_bytes += bytes;
  stats_.batches += 1;
  const auto nanos = static_cast<uint64_t>(std::max<int64_t>(0, fsync_time.count()));
  stats_.fsync_nanos_total += nanos;
  stats_.fsync_nanos_max = std::max(stats_.fsync_nanos_max, nanos);
  stats_.batch_records_histogram[BatchRecordsBucket(records)] += 1;
  stats_.fsync_latency_histogram[FsyncLatencyBucket(fsync_time)] += 1;
}

void GroupCommitWriter::PostResults(std::vector<Pending> batch,
                                    std::vector<Result<uint64_t>> results,
                                    std::optional<uint64_t> durable_last_index,
                                    size_t charged_bytes) {
  LB_CHECK(batch.size() == results.size());
  uint64_t failed = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!results[i].ok()) ++failed;
  }
  std::vector<Done> dones;
  dones.reserve(batch.size());
  for (Pending& pending : batch) dones.push_back(std::move(pending.done));
  {
    std::lock_guard lock(mutex_);
    stats_.failed_events += failed;
    LB_CHECK(queued_bytes_ >= charged_bytes);
    queued_bytes_ -= charged_bytes;
    ++undelivered_batches_;  // before the post: its delivery must find it counted
  }
  // One closure per batch: Post keeps the order of one thread's posts, so callbacks run in index
  // order across batches too, and listeners see an index only after its callback ran.
  env_.Post([dones = std::move(dones), results = std::move(results), durable_last_index,
             loop_state = loop_state_]() mutable {
    for (size_t i = 0; i < dones.size(); ++i) dones[i](std::move(results[i]));
    if (durable_last_index.has_value()) {
      // Appends only grow the log (AppendAt, which may shrink it, is never in such a batch).
      LB_CHECK(*durable_last_index > loop_state->durable_last_index);
      PublishDurable(*loop_state, *durable_last_index);
    }
    if (loop_state->writer != nullptr) loop_state->writer->OnBatchDelivered();
  });
}

}  // namespace lifeboat::eventlog
