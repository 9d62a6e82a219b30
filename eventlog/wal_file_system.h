#pragma once
// What a preallocated write-ahead log (preallocated_wal_env.h) needs from the file system beyond
// leveldb::Env: writing in place into a file that already exists, cutting a file short durably,
// and the free space of a directory. leveldb::Env only creates, truncates-to-zero or appends.
//
// Everything else the preallocated WAL does (make the zero-filled spare, rename it, list, lock,
// read) goes through the leveldb::Env it wraps. So a fault-injection layer that implements both
// (simulator/fault_injection_env.h) sees every byte of the production WAL path, and a power-cut
// test covers it.
//
// Implementations: PosixWalFileSystem() below (production), simulator::FaultInjectionEnv.
// Thread-safe: the log's writer and the spare filler call it concurrently.

#include <leveldb/env.h>
#include <leveldb/slice.h>

#include <cstdint>
#include <memory>
#include <string>

namespace lifeboat::eventlog {

// A file opened for writing in place: its size and contents stay until overwritten. Used by one
// thread at a time (LevelDB's log writer).
class OverwriteFile {
 public:
  virtual ~OverwriteFile() = default;
  // Writes `data` at `offset` (past the end the file grows, as pwrite(2) does).
  virtual leveldb::Status WriteAt(uint64_t offset, const leveldb::Slice& data) = 0;
  // Makes the written bytes durable: fdatasync(2). When the writes stayed inside blocks that
  // were already written and synced, no metadata has to move with them (the reason this exists).
  virtual leveldb::Status Sync() = 0;
  virtual leveldb::Status Close() = 0;
};

class WalFileSystem {
 public:
  virtual ~WalFileSystem() = default;
  // Opens the existing file `name` for in-place writes (never creates it: NotFound/IOError).
  virtual leveldb::Status NewOverwriteFile(const std::string& name,
                                           std::unique_ptr<OverwriteFile>* file) = 0;
  // Cuts `name` to `size` bytes and makes the new size durable (fsync(2)) before returning.
  virtual leveldb::Status TruncateFile(const std::string& name, uint64_t size) = 0;
  // Bytes an unprivileged writer may still use on the file system holding `directory`.
  virtual leveldb::Status FreeBytes(const std::string& directory, uint64_t* bytes) = 0;
};

// POSIX: pwrite(2), fdatasync(2), ftruncate(2) + fsync(2), statvfs(3). Process-wide, never
// destroyed (as leveldb::Env::Default()).
WalFileSystem* PosixWalFileSystem();

}  // namespace lifeboat::eventlog
