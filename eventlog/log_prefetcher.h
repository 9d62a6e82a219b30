#pragma once
// Reads log records ahead of the projection runner on a helper thread, so that a long replay
// (Rebuild, a node catching up after downtime) overlaps LevelDB reads and record checksum checks
// with parsing and applying: on two cores that is close to twice as fast as doing both in turn.
//
// Memory is bounded: at most kLogPrefetchChunksMax chunks wait, each at most `chunk_records`
// records and (about) `chunk_bytes` payload bytes (LogStore::Read's own bound).
//
// Threading: one consumer calls Next(). The helper thread only calls LogStore::Read, which is
// safe alongside the log's writer (log_store.h "Threading"). `log` must outlive the prefetcher.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "appliance/env/status.h"
#include "eventlog/log_store.h"

namespace lifeboat::eventlog {

// Chunks read ahead and not yet taken; 2 keeps the reader one chunk ahead while one is handed out.
inline constexpr size_t kLogPrefetchChunksMax = 2;

class LogPrefetcher {
 public:
  // Starts reading records first..last (inclusive, first <= last).
  LogPrefetcher(const LogStore& log, uint64_t first, uint64_t last, size_t chunk_records,
                size_t chunk_bytes);
  // Stops the helper thread (after the Read in progress) and joins it.
  ~LogPrefetcher();
  LogPrefetcher(const LogPrefetcher&) = delete;
  LogPrefetcher& operator=(const LogPrefetcher&) = delete;

  // The next chunk in index order: consecutive records, never empty. The first error ends the
  // stream: it is returned by this call and every later one. Calling Next() after the chunk
  // holding `last` is a programmer error.
  Result<std::vector<LogRecord>> Next();

 private:
  void Run();

  const LogStore& log_;
  const uint64_t last_;
  const size_t chunk_records_;
  const size_t chunk_bytes_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Result<std::vector<LogRecord>>> ready_;  // guarded by mutex_
  bool stopping_ = false;                             // guarded by mutex_
  uint64_t next_to_read_;                             // reader thread only
  uint64_t next_to_hand_out_;                         // consumer only
  std::thread reader_;
};

}  // namespace lifeboat::eventlog
