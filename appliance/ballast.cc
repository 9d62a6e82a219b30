#include "appliance/ballast.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace lifeboat {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(what + " " + path + ": " + std::strerror(errno));
}

Status SyncDirectory(const std::string& directory) {
  int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("ballast: cannot open directory", directory);
  const bool synced = fsync(fd) == 0;
  close(fd);
  return synced ? Status::Ok() : Errno("ballast: cannot sync directory", directory);
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

Ballast::Ballast(std::string data_dir, uint64_t bytes)
    : data_dir_(std::move(data_dir)),
      path_(data_dir_ + "/" + std::string(kBallastFileName)),
      bytes_(bytes) {}

bool Ballast::present() const {
  struct stat info {};
  return stat(path_.c_str(), &info) == 0;
}

Status Ballast::Create() {
  if (bytes_ == 0 || present()) return Status::Ok();
  const std::string partial = path_ + ".partial";
  int fd = open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("ballast: cannot create", partial);
  // posix_fallocate returns the error instead of setting errno.
  const int allocated = posix_fallocate(fd, 0, static_cast<off_t>(bytes_));
  const bool synced = allocated == 0 && fsync(fd) == 0;
  const int sync_errno = errno;
  close(fd);
  if (!synced) {
    unlink(partial.c_str());
    errno = allocated != 0 ? allocated : sync_errno;
    return Errno("ballast: cannot allocate " + std::to_string(bytes_) + " bytes in", partial);
  }
  // Renamed into place once whole: a crash mid-allocation leaves only a ".partial" to overwrite.
  if (rename(partial.c_str(), path_.c_str()) != 0) {
    Status failed = Errno("ballast: cannot rename into", path_);
    unlink(partial.c_str());
    return failed;
  }
  return SyncDirectory(data_dir_);
}

Status Ballast::Release() {
  unlink((path_ + ".partial").c_str());  // what a crash mid-Create left, if anything
  if (!present()) return Status::Ok();
  if (unlink(path_.c_str()) != 0) return Errno("ballast: cannot delete", path_);
  return SyncDirectory(data_dir_);
}

uint64_t BytesToOpenLevelDbs(const std::vector<std::string>& directories) {
  uint64_t total = 0;
  for (const std::string& directory : directories) {
    total += kLevelDbOpenMetadataBytes;
    DIR* dir = opendir(directory.c_str());
    if (dir == nullptr) continue;
    while (const dirent* entry = readdir(dir)) {
      if (!EndsWith(entry->d_name, ".log")) continue;
      struct stat info {};
      const std::string path = directory + "/" + entry->d_name;
      if (stat(path.c_str(), &info) == 0) total += static_cast<uint64_t>(info.st_size);
    }
    closedir(dir);
  }
  return total;
}

}  // namespace lifeboat
