#include "eventlog/log_prefetcher.h"

#include <algorithm>
#include <utility>

#include "appliance/env/check.h"

namespace lifeboat::eventlog {

LogPrefetcher::LogPrefetcher(Env& env, const LogStore& log, uint64_t first, uint64_t last,
                             size_t chunk_records, size_t chunk_bytes)
    : log_(log),
      last_(last),
      chunk_records_(chunk_records),
      chunk_bytes_(chunk_bytes),
      next_to_read_(first),
      next_to_hand_out_(first),
      reader_(env.NewSerialExecutor("lb-log-prefetch")) {
  LB_CHECK(first >= 1 && first <= last);
  LB_CHECK(chunk_records > 0 && chunk_bytes > 0);
  std::lock_guard lock(mutex_);
  MaybeSubmitReaderLocked();
}

LogPrefetcher::~LogPrefetcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  reader_->Shutdown();  // a queued ReadAhead sees stopping_ and returns; a read in progress ends
}

Result<uint64_t> LogPrefetcher::ReadChunk(LogChunk& chunk, uint64_t from) {
  chunk.Clear();
  const uint64_t read_last = std::min<uint64_t>(last_, from + chunk_records_ - 1);
  Result<uint64_t> visited = log_.Visit(
      from, read_last,
      [&](const LogRecordView& record) -> Result<VisitNext> {
        chunk.Add(record);
        return chunk.payload_bytes() >= chunk_bytes_ ? VisitNext::kStop : VisitNext::kContinue;
      },
      LogReadPattern::kBulk);                  // read ahead only for long ranges (header)
  if (!visited.ok()) return visited.status();  // the records copied are dropped with the chunk
  LB_CHECK(!chunk.empty() && chunk.first_index() == from && chunk.last_index() == *visited);
  return *visited + 1;
}

void LogPrefetcher::ReadOneChunk(std::unique_lock<std::mutex>& lock) {
  LB_CHECK(!reading_ && error_.ok() && next_to_read_ <= last_);
  reading_ = true;
  std::unique_ptr<LogChunk> chunk;
  if (!free_.empty()) {
    chunk = std::move(free_.back());
    free_.pop_back();
  }
  const uint64_t from = next_to_read_;
  lock.unlock();
  if (chunk == nullptr) chunk = std::make_unique<LogChunk>();
  Result<uint64_t> next = ReadChunk(*chunk, from);
  lock.lock();
  reading_ = false;
  if (next.ok()) {
    next_to_read_ = *next;
    ready_.push_back(std::move(chunk));
  } else {
    error_ = next.status();  // the consumer gets it after the chunks before it, and stops
  }
  changed_.notify_all();
}

void LogPrefetcher::MaybeSubmitReaderLocked() {
  if (reader_queued_ || reading_ || stopping_ || !error_.ok() || next_to_read_ > last_ ||
      ready_.size() >= kLogPrefetchChunksMax) {
    return;
  }
  reader_queued_ = true;
  reader_->Submit([this] { ReadAhead(); });
}

void LogPrefetcher::ReadAhead() {
  std::unique_lock lock(mutex_);
  reader_queued_ = false;
  while (!stopping_ && !reading_ && error_.ok() && next_to_read_ <= last_ &&
         ready_.size() < kLogPrefetchChunksMax) {
    ReadOneChunk(lock);
  }
}

Result<const LogChunk*> LogPrefetcher::Next() {
  LB_CHECK(next_to_hand_out_ <= last_);
  std::unique_lock lock(mutex_);
  if (handed_out_ != nullptr) free_.push_back(std::move(handed_out_));
  while (ready_.empty()) {
    if (!error_.ok()) return error_;  // sticky: every later call returns it too
    if (reading_) {
      changed_.wait(lock);  // the reader is inside a read: wait for its end, not for time
    } else {
      ReadOneChunk(lock);  // the reader has not started it (or never runs): read it here
    }
  }
  handed_out_ = std::move(ready_.front());
  ready_.pop_front();
  MaybeSubmitReaderLocked();
  lock.unlock();
  next_to_hand_out_ = handed_out_->last_index() + 1;
  return handed_out_.get();
}

}  // namespace lifeboat::eventlog
