#pragma once
// A LevelDB Env that never changes the files under it, so that a database can be opened on a disk
// with no free byte. LevelDB has no read-only mode: DB::Open replays the WAL into a new table,
// writes a new MANIFEST and CURRENT, creates a new WAL and deletes the old files. Here every file
// LevelDB creates lives in memory, a file it deletes (or renames away) is only hidden, and reads
// see the memory files first, then the disk. Everything written is gone when the Env is destroyed,
// and the files on disk are exactly as they were: the next ordinary open replays the same WAL.
//
// Used by the node to start read-only on a full disk (appliance/node_storage_disk.cc): it serves
// reads and refuses every append before it reaches the store (the disk reserve), so nothing anyone
// was told is durable ever lands here. The projections' catch-up and LevelDB's own flushes and
// compactions do write here; memory is bounded by kReadOnlyOverlayBytesMax, past which a write
// fails with IoError (the state store then reports it; the log, written by no one, never does).
//
// Thread-safe, as LevelDB requires of an Env. `base` must outlive this Env, and this Env every DB
// opened on it.

#include <leveldb/env.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace lifeboat::eventlog {

// Memory the overlay may hold: a replayed WAL of each store (an 8 MiB memtable plus one batch),
// the tables the catch-up flushes, a compaction of them; four times that for margin.
inline constexpr uint64_t kReadOnlyOverlayBytesMax = 256ull << 20;

class ReadOnlyOverlayEnv final : public leveldb::EnvWrapper {
 public:
  explicit ReadOnlyOverlayEnv(leveldb::Env* base, uint64_t bytes_max = kReadOnlyOverlayBytesMax);
  ~ReadOnlyOverlayEnv() override;
  ReadOnlyOverlayEnv(const ReadOnlyOverlayEnv&) = delete;
  ReadOnlyOverlayEnv& operator=(const ReadOnlyOverlayEnv&) = delete;

  leveldb::Status NewSequentialFile(const std::string& name,
                                    leveldb::SequentialFile** result) override;
  leveldb::Status NewRandomAccessFile(const std::string& name,
                                      leveldb::RandomAccessFile** result) override;
  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** result) override;
  leveldb::Status NewAppendableFile(const std::string& name,
                                    leveldb::WritableFile** result) override;
  bool FileExists(const std::string& name) override;
  leveldb::Status GetChildren(const std::string& directory,
                              std::vector<std::string>* result) override;
  leveldb::Status RemoveFile(const std::string& name) override;
  leveldb::Status CreateDir(const std::string& directory) override;
  leveldb::Status RemoveDir(const std::string& directory) override;
  leveldb::Status GetFileSize(const std::string& name, uint64_t* size) override;
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override;
  leveldb::Status NewLogger(const std::string& name, leveldb::Logger** result) override;

  // Bytes the memory files hold now.
  uint64_t memory_bytes() const { return memory_bytes_.load(); }

  // A file kept in memory; shared with the open handles on it.
  struct MemoryFile {
    mutable std::mutex mutex;
    std::string data;  // guarded by mutex
  };

 private:
  // mutex_ held. The memory file of `name`, or null.
  std::shared_ptr<MemoryFile> FindLocked(const std::string& name) const;
  // mutex_ held. True when `name` exists on disk and was not removed or renamed away here.
  bool OnDiskLocked(const std::string& name);
  // A new memory file holding `contents` (moved from), charged against the bound.
  leveldb::Status PutLocked(const std::string& name, std::string contents,
                            std::shared_ptr<MemoryFile>* file);
  // Reads a whole file from disk into `contents`.
  leveldb::Status ReadFromDisk(const std::string& name, std::string* contents);

  const uint64_t bytes_max_;
  std::shared_ptr<std::atomic<uint64_t>> budget_used_;  // shared with writable handles
  std::atomic<uint64_t>& memory_bytes_;

  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<MemoryFile>> files_;  // guarded by mutex_
  std::set<std::string> hidden_;                              // guarded by mutex_
  std::set<std::string> directories_;                         // guarded by mutex_
};

}  // namespace lifeboat::eventlog
