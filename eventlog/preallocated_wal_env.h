#pragma once
// Write-ahead logs written into zero-filled files, so that a synced append costs one data flush
// instead of a journal commit.
//
// Why: an append that grows a file makes fdatasync(2) persist the new size and block allocation
// too (ext4: a jbd2 commit per sync). Overwriting blocks that were already written and synced
// needs no metadata. Measured on this project's ext4 (virtio) disk, 10 KiB writes, each synced:
// 240-260 us per fdatasync when appending, 140-150 us into a zero-filled file; fallocate(2) alone
// does not help (unwritten extents are converted at the first write: 244 us). Under a 10-session
// SMTP load, the log store's synced write went from 420-460 to 270-290 us on average.
// LevelDB has no such option (RocksDB recycles WAL files for the same reason), so this Env does it
// underneath: a filler on a serial executor of the node's Env ("lb-wal-spare",
// Env::NewSerialExecutor) keeps one zero-filled, fsynced spare file in the log directory; when
// LevelDB creates its next NNNNNN.log, the spare is renamed to that name. When no spare is ready
// (startup, a flood outrunning the filler, little free space) LevelDB gets an ordinary file:
// slower, never blocked.
//
// The cost is at recovery: after a crash the live WAL holds zeros after its last record, and a
// torn last record is followed by zeros rather than the end of the file, which LevelDB's
// paranoid checks call corruption. Open trims every WAL to its last complete record first
// (wal_tail.h says when that is safe, and reports corruption when it is not).
//
// The file layer: every file operation goes through the leveldb::Env this wraps (the spare is an
// ordinary LevelDB WritableFile of zeros, then a rename) plus a WalFileSystem (wal_file_system.h)
// for what that Env cannot do: the in-place writes, the trim, the free space. Production passes
// LevelDB's POSIX Env and PosixWalFileSystem(); the power-cut tests pass the fault-injection disk
// (simulator/fault_injection_env.h) for both, so they cover this exact path.

#include <leveldb/env.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "eventlog/wal_file_system.h"

namespace lifeboat::eventlog {

// The spare's name in the log directory; LevelDB ignores names it did not make.
inline constexpr std::string_view kWalSpareName = "LIFEBOAT-WAL-SPARE";
// A spare is made only while the disk has this many times its size free: preallocation must
// never take the space the disk reserve keeps for the log itself.
inline constexpr uint64_t kWalSpareFreeSpaceFactor = 4;
// A spare holds a memtable's worth of WAL (LevelDB switches files once the memtable passes its
// write buffer size) plus this much for the write that passes it; a bigger one grows the file by
// plain appends: slower, still correct.
inline constexpr uint64_t kWalSpareSlackBytes = 1u << 20;
// Zeros are written in chunks of this size; shutdown is noticed between chunks.
inline constexpr size_t kWalSpareChunkBytes = 1u << 20;
// LevelDB's own write buffering for a WAL (util/env_posix.cc kWritableFileBufferSize).
inline constexpr size_t kWalWriteBufferBytes = 64u << 10;
inline constexpr char kWalSpareThreadName[] = "lb-wal-spare";

struct PreallocatedWalOptions {
  std::string directory;     // the log store's LevelDB directory
  uint64_t spare_bytes = 0;  // size of each zero-filled file: a memtable's worth of WAL
};

class PreallocatedWalEnv final : public leveldb::EnvWrapper {
 public:
  // Holding LevelDB's LOCK of the directory (released before returning; DB::Open takes it
  // again), so that a log a running node writes to is never touched: trims the WALs already
  // there (a crash may have left zeros or a torn record after the last record), replaces a
  // leftover spare with a fresh one. The lock's error when another holder has it. `target` (the
  // Env every file operation goes through) and `files` (the in-place writes, trims and free
  // space on the same files) must outlive this Env.
  static Result<std::unique_ptr<PreallocatedWalEnv>> Open(leveldb::Env* target,
                                                          WalFileSystem* files,
                                                          PreallocatedWalOptions options);
  // Starts the filler on an executor of `env` (which must outlive this Env); call once DB::Open
  // holds the lock. Without it, only the spare Open made is handed out, and none is refilled.
  void StartFiller(lifeboat::Env& env);
  ~PreallocatedWalEnv() override;  // stops the filler (between chunks) and shuts it down

  PreallocatedWalEnv(const PreallocatedWalEnv&) = delete;
  PreallocatedWalEnv& operator=(const PreallocatedWalEnv&) = delete;

  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** file) override;

  // WAL files LevelDB got preallocated / as ordinary files (metrics and tests).
  uint64_t preallocated_files() const { return preallocated_files_.load(); }
  uint64_t plain_files() const { return plain_files_.load(); }
  // A spare is ready for the next WAL (tests: after the executor ran the filler).
  bool spare_ready();

 private:
  PreallocatedWalEnv(leveldb::Env* target, WalFileSystem* files, PreallocatedWalOptions options);
  // Guarded by mutex_: submits a Fill when a spare is wanted and none is queued or running.
  void MaybeFillLocked();
  void Fill();       // executor
  bool FillSpare();  // makes the spare file; false (and no file) on any failure
  std::string SparePath() const;

  WalFileSystem* const files_;
  const PreallocatedWalOptions options_;
  std::mutex mutex_;
  bool want_spare_ = false;   // guarded by mutex_
  bool spare_ready_ = false;  // guarded by mutex_
  bool fill_queued_ = false;  // guarded by mutex_: a Fill submitted or running
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> preallocated_files_{0};
  std::atomic<uint64_t> plain_files_{0};
  std::unique_ptr<lifeboat::SerialExecutor> filler_;  // StartFiller; guarded by mutex_
};

// Trims each NNNNNN.log in `directory` to its last complete record (wal::FindEnd) and syncs it,
// holding LevelDB's LOCK as Open does. For a store opened without preallocation (the offline
// CLI) whose WALs a preallocating node wrote. Through `env` and `files` as PreallocatedWalEnv.
Status TrimWriteAheadLogs(leveldb::Env* env, WalFileSystem* files, const std::string& directory);

}  // namespace lifeboat::eventlog
