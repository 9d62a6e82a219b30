#include "eventlog/log_prefetcher.h"

#include <algorithm>
#include <utility>

#include "appliance/env/check.h"

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
  reader_ = std::thread([this] { Run(); });
}

LogPrefetcher::~LogPrefetcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  reader_.join();
}

void LogPrefetcher::Run() {
  while (next_to_read_ <= last_) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return stopping_ || ready_.size() < kLogPrefetchChunksMax; });
      if (stopping_) return;
    }
    uint64_t read_last = std::min<uint64_t>(last_, next_to_read_ + chunk_records_ - 1);
    Result<std::vector<LogRecord>> chunk = log_.Read(next_to_read_, read_last, chunk_bytes_);
    bool failed = !chunk.ok();
    if (!failed) {
      LB_CHECK(!chunk->empty() && chunk->front().index == next_to_read_);
      next_to_read_ = chunk->back().index + 1;
    }
    {
      std::lock_guard lock(mutex_);
      ready_.push_back(std::move(chunk));
    }
    changed_.notify_all();
    if (failed) return;  // the consumer gets the error and stops asking
  }
}

Result<std::vector<LogRecord>> LogPrefetcher::Next() {
  LB_CHECK(next_to_hand_out_ <= last_);
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !ready_.empty(); });
  if (!ready_.front().ok()) return ready_.front().status();  // stays queued: sticky
  Result<std::vector<LogRecord>> chunk = std::move(ready_.front());
  ready_.pop_front();
  lock.unlock();
  changed_.notify_all();
  next_to_hand_out_ = chunk->back().index + 1;
  return chunk;
}

}  // namespace lifeboat::eventlog
