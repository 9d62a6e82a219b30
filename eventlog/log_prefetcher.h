#pragma once
// Reads log records ahead of the projection runner on a serial executor of its own
// (Env::NewSerialExecutor "lb-log-prefetch"), so that a long replay (Rebuild, a node catching up
// after downtime) overlaps the LevelDB iteration and the record checksum checks with parsing and
// applying. The reader walks the log with LogStore::Visit and
// copies each chunk's payloads into one reused buffer: no allocation per record, and the buffers
// of consumed chunks are recycled, so a replay of any length allocates a fixed few buffers.
//
// Memory is bounded: at most kLogPrefetchChunksMax chunks wait, plus the one handed out, each at
// most `chunk_records` records and (about) `chunk_bytes` payload bytes (always at least one
// record, so a single large record makes a chunk of its own; its buffer is released once used,
// kLogChunkKeptBytesMax).
//
// A chunk is handed out only whole: a record that fails its checks (Corruption) fails the chunk
// that holds it, so no record of that chunk reaches the consumer.
//
// Who reads a chunk: the reader task, or, when Next() finds no chunk ready and the reader is not
// inside a read, the consumer itself. So Next() waits (untimed) only for a read in progress,
// never for a task that has not started: under the manual Env, whose executor runs only when
// driven, the consumer reads every chunk itself, deterministically.
//
// Threading: one consumer calls Next(). The reader only calls LogStore::Visit, which is safe
// alongside the log's writer (log_store.h "Threading"). `env` and `log` must outlive the
// prefetcher.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "eventlog/log_store.h"

namespace lifeboat::eventlog {

// Chunks read ahead and not yet taken; 2 keeps the reader one chunk ahead while one is handed out.
inline constexpr size_t kLogPrefetchChunksMax = 2;
// A reused chunk keeps at most this much payload capacity: one 50 MiB mail makes a chunk that
// large, and without this cap every recycled buffer would hold on to it for the rest of the replay.
inline constexpr size_t kLogChunkKeptBytesMax = 8u << 20;

// Consecutive records copied out of the log: payloads back to back in one buffer.
class LogChunk {
 public:
  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  uint64_t first_index() const { return records_.front().index; }
  uint64_t last_index() const { return records_.back().index; }
  size_t payload_bytes() const { return payloads_.size(); }
  // The i-th record; its payload points into this chunk, valid until the chunk is changed.
  LogRecordView operator[](size_t i) const {
    const Entry& entry = records_[i];
    return {entry.index, entry.term,
            std::string_view(payloads_.data() + entry.payload_offset, entry.payload_bytes)};
  }

  void Clear() {
    records_.clear();
    payloads_.clear();
    if (payloads_.capacity() > kLogChunkKeptBytesMax) std::string().swap(payloads_);
  }
  void Add(const LogRecordView& record) {
    records_.push_back({record.index, record.term, payloads_.size(), record.payload.size()});
    payloads_.append(record.payload);
  }

 private:
  struct Entry {
    uint64_t index;
    uint64_t term;
    size_t payload_offset;
    size_t payload_bytes;
  };
  std::vector<Entry> records_;
  std::string payloads_;
};

class LogPrefetcher {
 public:
  // Starts reading records first..last (inclusive, first <= last).
  LogPrefetcher(Env& env, const LogStore& log, uint64_t first, uint64_t last, size_t chunk_records,
                size_t chunk_bytes);
  // Stops the reader after the chunk in progress and shuts its executor down.
  ~LogPrefetcher();
  LogPrefetcher(const LogPrefetcher&) = delete;
  LogPrefetcher& operator=(const LogPrefetcher&) = delete;

  // The next chunk in index order: consecutive records, never empty, valid until the next call
  // to Next() or the prefetcher's destruction (its buffer is then reused). The first error ends
  // the stream: it is returned by this call and every later one. Calling Next() after the chunk
  // holding `last` is a programmer error.
  Result<const LogChunk*> Next();

 private:
  // Executor: reads chunks while there is room.
  void ReadAhead();
  // Guarded by mutex_: submits ReadAhead if it has something to do and is not queued already.
  void MaybeSubmitReaderLocked();
  // Called with `lock` held on mutex_ and no read in progress: reads the next chunk (unlocked
  // meanwhile) and queues it, or records the error.
  void ReadOneChunk(std::unique_lock<std::mutex>& lock);
  // Fills `chunk` from `from`; the index after its last record, or the log's error.
  Result<uint64_t> ReadChunk(LogChunk& chunk, uint64_t from);

  const LogStore& log_;
  const uint64_t last_;
  const size_t chunk_records_;
  const size_t chunk_bytes_;

  std::mutex mutex_;
  std::condition_variable changed_;              // a read ended
  std::deque<std::unique_ptr<LogChunk>> ready_;  // guarded by mutex_
  std::vector<std::unique_ptr<LogChunk>> free_;  // guarded by mutex_: consumed, to reuse
  Status error_;                                 // guarded by mutex_: after the ready chunks
  bool stopping_ = false;                        // guarded by mutex_
  bool reading_ = false;                         // guarded by mutex_: a chunk is being read
  bool reader_queued_ = false;                   // guarded by mutex_: ReadAhead submitted
  uint64_t next_to_read_;                        // guarded by mutex_
  uint64_t next_to_hand_out_;                    // consumer only
  std::unique_ptr<LogChunk> handed_out_;         // consumer only
  std::unique_ptr<SerialExecutor> reader_;
};

}  // namespace lifeboat::eventlog
