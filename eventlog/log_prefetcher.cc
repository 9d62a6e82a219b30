#include "eventlog/log_prefetcher.h"

#include <algorithm>
#include <utility>

#include "appliance/env/check.h"
#include "appliance/env/thread_name.h"

namespace lifeboat::eventlog {

LogPrefetcher::LogPrefetcher(const LogStore& log, uint64_t first, uint64_t last,
                             size_t chunk_records, size_t chunk_bytes)
    : log_(log),
      last_(last),
      chunk_records_(chunk_records),
      chunk_bytes_(chunk_bytes),
      next_to_read_(first),
      next_to_hand_out_(first) {
  LB_CHECK(first >= 1 && first <= last);
  LB_CHECK(chunk_records > 0 && chunk_bytes > 0);
  reader_ = std::thread([this] {
    NameThisThread("lb-log-prefetch");
    Run();
  });
}

LogPrefetcher::~LogPrefetcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  reader_.join();
}

bool LogPrefetcher::ReadChunk(LogChunk& chunk, Status* error) {
  chunk.Clear();
  const uint64_t read_last = std::min<uint64_t>(last_, next_to_read_ + chunk_records_ - 1);
  Result<uint64_t> visited = log_.Visit(
      next_to_read_, read_last,
      [&](const LogRecordView& record) -> Result<VisitNext> {
        chunk.Add(record);
        return chunk.payload_bytes() >= chunk_bytes_ ? VisitNext::kStop : VisitNext::kContinue;
      },
      LogReadPattern::kBulk);  // read ahead only for long ranges (header)
  if (!visited.ok()) {
    *error = visited.status();  // the records already copied are dropped with their chunk
    return false;
  }
  LB_CHECK(!chunk.empty() && chunk.first_index() == next_to_read_ &&
           chunk.last_index() == *visited);
  next_to_read_ = *visited + 1;
  return true;
}

void LogPrefetcher::Run() {
  while (next_to_read_ <= last_) {
    std::unique_ptr<LogChunk> chunk;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return stopping_ || ready_.size() < kLogPrefetchChunksMax; });
      if (stopping_) return;
      if (!free_.empty()) {
        chunk = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (chunk == nullptr) chunk = std::make_unique<LogChunk>();
    Status error;
    const bool read = ReadChunk(*chunk, &error);
    {
      std::lock_guard lock(mutex_);
      if (read) {
        ready_.push_back(std::move(chunk));
      } else {
        error_ = std::move(error);
      }
    }
    changed_.notify_all();
    if (!read) return;  // the consumer gets the error after the chunks before it, and stops
  }
}

Result<const LogChunk*> LogPrefetcher::Next() {
  LB_CHECK(next_to_hand_out_ <= last_);
  std::unique_lock lock(mutex_);
  if (handed_out_ != nullptr) free_.push_back(std::move(handed_out_));
  changed_.wait(lock, [this] { return !ready_.empty() || !error_.ok(); });
  if (ready_.empty()) return error_;  // sticky: every later call returns it too
  handed_out_ = std::move(ready_.front());
  ready_.pop_front();
  lock.unlock();
  changed_.notify_all();
  next_to_hand_out_ = handed_out_->last_index() + 1;
  return handed_out_.get();
}

}  // namespace lifeboat::eventlog
