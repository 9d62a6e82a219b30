#include "eventlog/wal_dir_sync_env.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "eventlog/wal_tail.h"

namespace lifeboat::eventlog {
namespace {

std::string DirectoryOf(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string(".") : name.substr(0, slash);
}

}  // namespace

leveldb::Status SyncDirectoryPosix(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return leveldb::Status::IOError(directory, std::strerror(errno));
  leveldb::Status status;
  if (::fsync(fd) != 0) status = leveldb::Status::IOError(directory, std::strerror(errno));
  ::close(fd);
  return status;
}

WalDirSyncEnv::WalDirSyncEnv(leveldb::Env* target, SyncDirectoryFunction sync_directory)
    : leveldb::EnvWrapper(target), sync_directory_(std::move(sync_directory)) {}

leveldb::Status WalDirSyncEnv::NewWritableFile(const std::string& name,
                                               leveldb::WritableFile** file) {
  leveldb::Status status = target()->NewWritableFile(name, file);
  if (!status.ok() || !wal::IsWriteAheadLogName(name)) return status;
  status = sync_directory_(DirectoryOf(name));
  if (!status.ok()) {
    delete *file;
    *file = nullptr;
  }
  return status;
}

}  // namespace lifeboat::eventlog
