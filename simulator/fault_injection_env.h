#pragma once
// A LevelDB Env that forgets what was never synced (STYLE.md rule 13; the pattern of LevelDB's
// db/fault_injection_test.cc, written anew here).
//
// It wraps a real Env (normally leveldb::Env::Default() on a temp directory) and tracks, per file
// it created, the bytes written and the size at the last successful Sync, and which files were
// created since their directory was last synced. SimulateCrash() then makes the disk look like
// the power went out: every file is cut back to its synced size and every file whose directory
// entry was never synced disappears. Tests also make writes or syncs fail, fill the disk (ENOSPC),
// or schedule a crash at the N-th write/sync from now (the write at the crash point is torn).
//
// Directory syncs: LevelDB (util/env_posix.cc, SyncDirIfManifest) syncs the directory only when
// it syncs a MANIFEST file, inside PosixWritableFile::Sync, never through the Env. So a synced
// MANIFEST-* file here marks its directory synced, as the real one does.
//
// In-place writes (eventlog/wal_file_system.h, the preallocated WAL's zero-filled files): the
// Env is also the WAL's file layer. It remembers what each in-place write replaced since the
// file's last sync; at a crash those bytes go back to their synced content (the spare's zeros),
// and a file the writes grew is cut back to its synced size. kKeepRandomUnsynced keeps a random
// whole-page prefix (4 KiB pages of the file) of the unsynced span: the pages before the cut hold
// the new bytes, the page at the cut and after it their synced content, as when writeback
// reached some pages of a write and not the rest (eventlog/wal_tail.h relies on pages, not
// bytes, being what a crash keeps or loses). For the same reason an in-place write torn at the
// crash point lands whole pages of it only (an append torn there lands any byte prefix).
//
// Approximations, stated so nobody reads more into a passing test:
//  * A rename onto a name that already existed keeps the new file after a crash (LevelDB only
//    renames a synced temp file onto CURRENT). A rename onto a new name is lost with its
//    directory entry unless the directory is synced later.
//  * A removed file stays removed (a real unsynced unlink could come back).
//  * Only files created through this Env are tracked; other files are left alone.
//  * Torn pages come as a prefix: writeback that reached page 3 of a write and not page 2 is not
//    modelled (a page within the one unsynced batch lost while a later one survives). Nor is a
//    page torn inside itself (a disk that writes 512-byte sectors of a 4 KiB page).
//  * TruncateFile (the WAL trim) is durable when it returns, as the fsync behind it makes it.
//
// Usage: open a DB on it, inject, close the DB (delete it), SimulateCrash(), reopen. Thread-safe:
// LevelDB's background thread and the writer call it concurrently.

#include <leveldb/env.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "eventlog/wal_file_system.h"

namespace lifeboat::simulator {

class FaultInjectionEnv : public leveldb::EnvWrapper, public eventlog::WalFileSystem {
 public:
  // `target` and `target_files` (the in-place writes on the same files) must outlive this Env.
  // `seed` drives torn-write lengths and kKeepRandomUnsynced.
  FaultInjectionEnv(leveldb::Env* target, uint64_t seed,
                    eventlog::WalFileSystem* target_files = eventlog::PosixWalFileSystem());

  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** file) override;
  leveldb::Status NewAppendableFile(const std::string& name, leveldb::WritableFile** file) override;
  leveldb::Status RemoveFile(const std::string& name) override;
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override;

  // The WAL file layer (eventlog/wal_file_system.h). In-place writes count and fail like
  // appends (and can be the crash point); their syncs like file syncs. FreeBytes reports 0 while
  // SetNoSpace holds.
  leveldb::Status NewOverwriteFile(const std::string& name,
                                   std::unique_ptr<eventlog::OverwriteFile>* file) override;
  leveldb::Status TruncateFile(const std::string& name, uint64_t size) override;
  leveldb::Status FreeBytes(const std::string& directory, uint64_t* bytes) override;

  // An explicit directory fsync (LogStoreOptions::sync_directory): the entries of files created
  // in `directory` so far become durable. Fails like a file sync under injected faults.
  leveldb::Status SyncDirectory(const std::string& directory);

  // Faults that last until cleared. Failing writes and syncs report IOError; no_space reports
  // "No space left on device" (ENOSPC) for every write and creates nothing.
  void SetWriteError(bool fail);
  void SetSyncError(bool fail);
  void SetNoSpace(bool full);

  // The `operations`-th file write or sync from now (1 = the next) is the crash point: a write
  // there lands only a random prefix of its bytes, a sync there does not happen. From then on
  // every write, sync, create, rename and remove fails with IOError("simulated crash"), as for a
  // process that lost its disk. 0 cancels a scheduled crash.
  void ScheduleCrash(uint64_t operations);
  // Syncs block while held: a test freezes the storage thread inside an fsync to queue work
  // behind it deterministically. ReleaseSyncs() lets every held sync go on.
  void HoldSyncs();
  void ReleaseSyncs();
  // True once a sync is blocked by HoldSyncs(); false if none arrived within `bound`.
  bool WaitForHeldSync(std::chrono::milliseconds bound);

  // Crashes at once (the same state as a scheduled crash that was reached).
  void CrashNow();
  bool crashed() const;

  enum class CrashMode {
    // Strict POSIX: every file back to its synced size; files whose directory was not synced
    // since they were created disappear.
    kDropUnsynced,
    // An ordered-metadata filesystem (ext4 data=ordered): every name survives, and a random
    // prefix of each unsynced tail survives too (torn pages). Dropping names here as well would
    // let a MANIFEST tail that was written but never synced survive while the table it names
    // vanished, an outcome no journaling filesystem produces.
    kKeepRandomUnsynced,
  };
  // Call once no DB uses this Env any more. Applies the crash to the files on disk, forgets the
  // tracking, and clears every fault: the disk works again for the reopen.
  leveldb::Status SimulateCrash(CrashMode mode = CrashMode::kDropUnsynced);

  // Counters since construction (tests check a fault was actually reached).
  uint64_t write_count() const;
  uint64_t sync_count() const;

 private:
  class TrackedFile;
  friend class TrackedFile;
  class TrackedOverwriteFile;
  friend class TrackedOverwriteFile;

  // An in-place write of `bytes` at `offset`; `prior` holds what it replaced (only the bytes
  // inside the file's size then).
  struct Undo {
    uint64_t offset = 0;
    uint64_t bytes = 0;
    std::string prior;
  };
  struct FileState {
    uint64_t written_bytes = 0;  // appended bytes; for a file written in place, its size now
    uint64_t synced_bytes = 0;   // that figure at the last sync
    std::vector<Undo> undo;      // in-place writes since the last sync, oldest first
  };

  // Called by TrackedFile. `allowed_bytes` is how much of the write may land.
  leveldb::Status BeforeWrite(const std::string& name, size_t bytes, size_t* allowed_bytes);
  void AfterWrite(const std::string& name, size_t bytes);
  // An in-place write of `bytes` at `offset` that replaced `prior` landed.
  void AfterOverwrite(const std::string& name, uint64_t offset, size_t bytes, std::string prior);
  // At a crash: the offset from which `state`'s unsynced in-place writes are lost (kDropUnsynced:
  // all of them; kKeepRandomUnsynced: from a random page boundary).
  uint64_t UnsyncedCutLocked(const FileState& state, CrashMode mode);
  // Puts back what the in-place writes replaced, from `cut` on.
  leveldb::Status RevertLocked(const std::string& name, const FileState& state, uint64_t cut);
  leveldb::Status BeforeSync();
  void AfterSync(const std::string& name);
  // A tracked file's Sync: counts against faults, syncs `target`, then marks `name` synced.
  template <typename File>
  leveldb::Status SyncTracked(const std::string& name, File& target) {
    leveldb::Status before = BeforeSync();
    if (!before.ok()) return before;
    leveldb::Status status = target.Sync();
    if (status.ok()) AfterSync(name);
    return status;
  }
  void MarkDirectorySyncedLocked(const std::string& directory);
  // Counts one write or sync against a scheduled crash; true when this one is the crash point.
  bool ReachedCrashPointLocked();

  // SplitMix64 (Steele, Lea, Flood 2014): a seeded, deterministic stream, enough for picking
  // torn-write lengths. Not a std:: engine, so the header stays small; replays with the seed.
  uint64_t NextRandomLocked();

  eventlog::WalFileSystem* const target_files_;
  mutable std::mutex mutex_;
  uint64_t random_state_;                           // guarded by mutex_
  std::map<std::string, FileState> files_;          // guarded by mutex_
  std::set<std::string> new_files_since_dir_sync_;  // guarded by mutex_
  bool write_error_ = false;                        // guarded by mutex_
  bool sync_error_ = false;                         // guarded by mutex_
  bool no_space_ = false;                           // guarded by mutex_
  bool crashed_ = false;                            // guarded by mutex_
  bool hold_syncs_ = false;                         // guarded by mutex_
  uint64_t held_syncs_ = 0;                         // guarded by mutex_; syncs now blocked
  std::condition_variable hold_changed_;
  uint64_t crash_countdown_ = 0;  // guarded by mutex_; 0: none scheduled
  uint64_t write_count_ = 0;      // guarded by mutex_
  uint64_t sync_count_ = 0;       // guarded by mutex_
};

}  // namespace lifeboat::simulator
