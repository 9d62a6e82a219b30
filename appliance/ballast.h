#pragma once
// The ballast: a file of a fixed size the node keeps in its data dir so that it can always start.
// LevelDB cannot open a database without writing (it replays each WAL into a new table and writes
// a new MANIFEST), so on a disk that something else filled to the last byte, a node with no
// ballast would refuse to start and take `status`, `log tail` and `mailbox list` down with it.
// At start, when the free space is below what opening needs, the ballast is deleted first; the
// node then starts below its reserve (refusing new mail, serving reads) and puts the ballast back
// once the space has returned (DiskReserve's periodic check).
//
// On the real disk the file is allocated with fallocate(2), so its blocks are really taken (a
// sparse file would free nothing when deleted), and synced with its directory, so a crash cannot
// lose it silently. On an injected disk (the simulator's, a fault-injection test's: a
// leveldb::Env) it is written as zeros through that Env and synced the same way, so that nothing
// in a simulation touches the real file system. Loop thread only.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/status.h"
#include "leveldb/env.h"

namespace lifeboat {

inline constexpr std::string_view kBallastFileName = "BALLAST";
// What opening a LevelDB writes besides replaying its WALs into tables: a MANIFEST holding the
// whole version (about 100 bytes per table), CURRENT, the info LOG, an empty WAL; rounded up.
inline constexpr uint64_t kLevelDbOpenMetadataBytes = 1u << 20;

// How a directory's entries are made durable on an injected disk (NodeStorageOptions).
using SyncDirectoryFunction = std::function<leveldb::Status(const std::string& directory)>;

class Ballast {
 public:
  // `bytes` == 0: no ballast is kept (an existing file is left alone, and released when needed).
  // `disk` null: the real file system. Otherwise the injected disk and its directory sync, which
  // must outlive the ballast.
  Ballast(std::string data_dir, uint64_t bytes, leveldb::Env* disk = nullptr,
          SyncDirectoryFunction sync_directory = nullptr);

  const std::string& path() const { return path_; }
  uint64_t bytes() const { return bytes_; }
  // The ballast file exists (any size).
  bool present() const;
  // Allocates and syncs the file; on any failure removes what was made. No-op when present.
  Status Create();
  // Deletes the file and syncs the directory. No-op when absent.
  Status Release();

 private:
  Status CreateOnInjectedDisk(const std::string& partial);
  Status SyncDataDir();

  std::string data_dir_;
  std::string path_;
  uint64_t bytes_;
  leveldb::Env* disk_;
  SyncDirectoryFunction sync_directory_;
};

// Free space opening the LevelDBs in `directories` may write: every WAL in them is replayed into
// a table of about its size (a preallocated WAL counts whole: an overestimate), plus
// kLevelDbOpenMetadataBytes each. A directory that does not exist counts as metadata only.
// `disk` is the Env the stores open on (the real one, or an injected disk).
uint64_t BytesToOpenLevelDbs(leveldb::Env& disk, const std::vector<std::string>& directories);

}  // namespace lifeboat
