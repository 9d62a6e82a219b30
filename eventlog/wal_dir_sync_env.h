#pragma once
// Makes a new LevelDB write-ahead log durable by name before anything is written to it.
//
// When its memtable fills, LevelDB (db/db_impl.cc, MakeRoomForWrite) creates a new NNNNNN.log
// and sends the next synced writes there, but the directory entry of that file is synced only
// later, when the MANIFEST edit naming it is synced (util/env_posix.cc, SyncDirIfManifest). POSIX
// does not promise that fsync of a new file also persists its name (fsync(2): "an explicit fsync()
// on a file descriptor for the directory is also needed"), so a power cut in that window could
// lose a WAL whose records were already acknowledged. The crash test found exactly this with the
// fault-injection disk. This wrapper syncs the directory right after creating each *.log file.

#include <leveldb/env.h>

#include <functional>
#include <string>

namespace lifeboat::eventlog {

// Syncs `directory` (its entries become durable). Returns a LevelDB status.
using SyncDirectoryFunction = std::function<leveldb::Status(const std::string& directory)>;

// fsync of the directory through POSIX: the production SyncDirectoryFunction.
leveldb::Status SyncDirectoryPosix(const std::string& directory);

class WalDirSyncEnv : public leveldb::EnvWrapper {
 public:
  // `target` must outlive this Env.
  WalDirSyncEnv(leveldb::Env* target, SyncDirectoryFunction sync_directory);

  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** file) override;

 private:
  SyncDirectoryFunction sync_directory_;
};

}  // namespace lifeboat::eventlog
