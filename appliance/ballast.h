#pragma once
// The ballast: a file of a fixed size the node keeps in its data dir so that it can always start.
// LevelDB cannot open a database without writing (it replays each WAL into a new table and writes
// a new MANIFEST), so on a disk that something else filled to the last byte, a node with no
// ballast would refuse to start and take `status`, `log tail` and `mailbox list` down with it.
// At start, when the free space is below what opening needs, the ballast is deleted first; the
// node then starts below its reserve (refusing new mail, serving reads) and puts the ballast back
// once the space has returned (DiskReserve's periodic check).
//
// The file is allocated with fallocate(2), so its blocks are really taken (a sparse file would
// free nothing when deleted), and synced with its directory, so a crash cannot lose it silently.
// Loop thread only.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/status.h"

namespace lifeboat {

inline constexpr std::string_view kBallastFileName = "BALLAST";
// What opening a LevelDB writes besides replaying its WALs into tables: a MANIFEST holding the
// whole version (about 100 bytes per table), CURRENT, the info LOG, an empty WAL; rounded up.
inline constexpr uint64_t kLevelDbOpenMetadataBytes = 1u << 20;

class Ballast {
 public:
  // `bytes` == 0: no ballast is kept (an existing file is left alone, and released when needed).
  Ballast(std::string data_dir, uint64_t bytes);

  const std::string& path() const { return path_; }
  uint64_t bytes() const { return bytes_; }
  // The ballast file exists (any size).
  bool present() const;
  // Allocates and syncs the file; on any failure removes what was made. No-op when present.
  Status Create();
  // Deletes the file and syncs the directory. No-op when absent.
  Status Release();

 private:
  std::string data_dir_;
  std::string path_;
  uint64_t bytes_;
};

// Free space opening the LevelDBs in `directories` may write: every WAL in them is replayed into
// a table of about its size (a preallocated WAL counts whole: an overestimate), plus
// kLevelDbOpenMetadataBytes each. A directory that does not exist counts as metadata only.
uint64_t BytesToOpenLevelDbs(const std::vector<std::string>& directories);

}  // namespace lifeboat
