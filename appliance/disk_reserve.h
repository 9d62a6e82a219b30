#pragma once
// The data disk's reserve: free space the node never spends on new events, so that what it has
// already acknowledged can always be folded, flushed and compacted, and an operator can still log
// in and look. DESIGN.md "Storage"; issue #10 item 6.
//
// Why a fresh check before each batch: a flood of 10 sessions writes tens of megabytes a second,
// so a free-space figure sampled once a second is already wrong by a whole reserve when it is read
// (seen: free space 13.6 MB -> 0 in a second while the sample still said 12.6 MB). statvfs(2)
// answers from the file system's in-memory counters: a few microseconds, no disk access.
//
// What a batch is charged (free space must stay >= reserve after all of it):
//   - its own log write: payload plus kLogRecordOverheadBytes per record;
//   - what the projections will write when they fold the events not yet applied (this batch
//     included): kStateBytesPerAppliedByte per payload byte;
//   - the largest write LevelDB may start in the background without asking anyone: a memtable
//     flush or a compaction, at most kBackgroundWriteBytesMax and never more than the stores
//     themselves hold (a job writes at most what it reads); both LevelDBs of a node share
//     LevelDB's one background thread, so one such job runs at a time.
// Queued proposals behind the batch are charged when their own batch comes: nothing reaches the
// disk without passing this check, so the reserve is crossed by at most what the estimates miss.
// A reserve of 0 disables the check (tests of raw ENOSPC handling).
//
// Threading: Admit runs on the group-commit storage thread; everything else on the loop thread.
// The figures both sides read are atomics or guarded by mutex_.
//
// Ownership: `env` outlives the reserve; the free-space function is called from both threads.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "appliance/smtp/mail_intake.h"

namespace lifeboat {

// How often free space is checked between batches: the bound on how long the node takes to
// notice that space returned (and to accept mail again), or that something else filled the disk.
inline constexpr Duration kDiskCheckInterval = std::chrono::seconds(1);
// Bytes the log writes per record besides its payload: LevelDB's WAL record header (7) and write
// batch entry (about 12), our key (9) and value header (CRC 4 + term 8), rounded up generously.
inline constexpr uint64_t kLogRecordOverheadBytes = 64;
// Each payload byte the projections fold reaches the state LevelDB about twice: its WAL, then the
// table its memtable is flushed into (a body is stored once by content hash; the mailbox index
// entries are small next to it). The log's own flush replaces its WAL and adds nothing for long.
inline constexpr uint64_t kStateBytesPerAppliedByte = 2;
// The most one LevelDB background job writes before it deletes what it replaces: a compaction
// reads at most 25 tables of 2 MiB (LevelDB version_set.cc, ExpandedCompactionByteSizeLimit), and a
// level-0 compaction (4 tables of at most an 8 MiB memtable, plus the overlapping 10 MiB of
// level 1) stays under that, as does a memtable flush (8 MiB).
inline constexpr uint64_t kBackgroundWriteBytesMax = 50ull << 20;
// New mail is accepted (SMTP) only while a full group-commit batch (eventlog/group_commit.h,
// 8 MiB) would still fit above the reserve, or half the reserve when that is less (a test's tiny
// disk): a node at the edge then answers 452 at RCPT rather than flipping between 250 and a 452
// after DATA with every batch.
inline constexpr uint64_t kAcceptMarginBytes = 8ull << 20;
// Batches remembered for the projection backlog; past this, the newest entries are merged
// (which only delays releasing their bytes: conservative).
inline constexpr size_t kBacklogBatchesMax = 4096;

// Free bytes on the file system holding `path`, for an unprivileged writer (f_bavail).
Result<uint64_t> FileSystemFreeBytes(const std::string& path);
// Bytes allocated to the files directly in `directories` (st_blocks: what they really take),
// counted until `enough_bytes` is reached (a large store has thousands of tables; the reserve
// needs to know only whether they pass kBackgroundWriteBytesMax).
uint64_t AllocatedBytes(const std::vector<std::string>& directories,
                        uint64_t enough_bytes = kBackgroundWriteBytesMax);

struct DiskFigures {
  uint64_t free_bytes = 0;       // at the last check
  uint64_t reserve_bytes = 0;    // configured
  uint64_t committed_bytes = 0;  // charged for writes still to come (backlog, background job)
  uint64_t refused_batches = 0;  // batches refused since start
  uint64_t checks = 0;           // periodic checks since start (tests wait on the next one)
  bool accepting = true;         // new events fit above the reserve
};

class DiskReserve : public smtp_driver::StorageGuard {
 public:
  using FreeBytesFunction = std::function<Result<uint64_t>()>;
  // The stores' size on disk, read at each periodic check (loop thread).
  using StoreBytesFunction = std::function<uint64_t()>;
  // Called on the loop thread when the reserve starts or stops refusing new events.
  using Listener = std::function<void(bool accepting, const DiskFigures& figures)>;

  DiskReserve(Env& env, FreeBytesFunction free_bytes, StoreBytesFunction store_bytes,
              uint64_t reserve_bytes);
  ~DiskReserve() override;
  DiskReserve(const DiskReserve&) = delete;
  DiskReserve& operator=(const DiskReserve&) = delete;

  // Loop thread: checks now, then every kDiskCheckInterval until destroyed; `listener` hears of
  // every change between accepting and refusing, and `on_check` runs after each periodic check
  // (the ballast keeper hangs off it).
  void Start(Listener listener, std::function<void()> on_check);

  // Storage thread (GroupCommitOptions::admit_batch): OK when the batch and what it will cause
  // fit above the reserve by a fresh statvfs, else ResourceExhausted saying by how much.
  Status Admit(uint64_t first_index, size_t records, size_t payload_bytes);
  // Loop thread: the projections folded the log through `index`; its backlog is released.
  void NoteApplied(uint64_t index);
  // Loop thread: refuse everything regardless of space (the node could not open for writing).
  void SetWritesImpossible(bool impossible);

  // StorageGuard (loop thread): SMTP answers 452 4.3.1 while this is false.
  bool AcceptsNewMail() const override { return accepting_.load(std::memory_order_relaxed); }

  // Loop thread: a fresh check (statvfs) now; returns the figures.
  DiskFigures Check();
  DiskFigures figures() const;
  bool writes_impossible() const { return writes_impossible_.load(); }

 private:
  // Bytes still to be written for what is already in the log; mutex_ held.
  uint64_t CommittedBytesLocked() const;
  // Whether `free_bytes` minus `charge` stays at or above the reserve.
  bool Fits(uint64_t free_bytes, uint64_t charge) const;
  void OnTimer();

  Env& env_;
  const FreeBytesFunction free_bytes_;
  const StoreBytesFunction store_bytes_function_;
  const uint64_t reserve_bytes_;
  Listener listener_;
  std::function<void()> on_check_;
  TimerId timer_ = 0;
  bool reported_accepting_ = true;  // loop thread: what the listener last heard

  mutable std::mutex mutex_;
  // (last index of an admitted batch, its payload bytes) not yet applied; guarded by mutex_.
  std::deque<std::pair<uint64_t, uint64_t>> backlog_;
  uint64_t backlog_bytes_ = 0;    // guarded by mutex_
  uint64_t applied_index_ = 0;    // guarded by mutex_
  uint64_t refused_batches_ = 0;  // guarded by mutex_
  std::atomic<uint64_t> checks_{0};
  // The stores' size at the last check plus what was admitted since: bounds a background job.
  uint64_t store_bytes_ = 0;  // guarded by mutex_
  std::atomic<uint64_t> last_free_bytes_{0};
  std::atomic<bool> accepting_{true};
  std::atomic<bool> writes_impossible_{false};
};

}  // namespace lifeboat
