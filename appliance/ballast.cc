#include "appliance/ballast.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "appliance/env/check.h"
#include "eventlog/leveldb_status.h"

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

// Zeros appended per write on an injected disk.
constexpr size_t kInjectedWriteBytes = 1u << 20;

}  // namespace

Ballast::Ballast(std::string data_dir, uint64_t bytes, leveldb::Env* disk,
                 SyncDirectoryFunction sync_directory)
    : data_dir_(std::move(data_dir)),
      path_(data_dir_ + "/" + std::string(kBallastFileName)),
      bytes_(bytes),
      disk_(disk),
      sync_directory_(std::move(sync_directory)) {
  LB_CHECK(disk_ == nullptr || sync_directory_ != nullptr);
}

bool Ballast::present() const {
  if (disk_ != nullptr) return disk_->FileExists(path_);
  struct stat info {};
  return stat(path_.c_str(), &info) == 0;
}

Status Ballast::SyncDataDir() {
  if (disk_ == nullptr) return SyncDirectory(data_dir_);
  return eventlog::FromLevelDb(sync_directory_(data_dir_), "ballast: syncing " + data_dir_);
}

Status Ballast::CreateOnInjectedDisk(const std::string& partial) {
  const std::string what = "ballast: cannot create " + partial;
  leveldb::WritableFile* raw_file = nullptr;
  leveldb::Status status = disk_->NewWritableFile(partial, &raw_file);
  std::unique_ptr<leveldb::WritableFile> file(raw_file);
  const std::string zeros(kInjectedWriteBytes, '\0');
  for (uint64_t written = 0; status.ok() && written < bytes_; written += zeros.size()) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(zeros.size(), bytes_ - written));
    status = file->Append(leveldb::Slice(zeros.data(), chunk));
  }
  if (status.ok()) status = file->Sync();
  if (status.ok()) status = file->Close();
  file.reset();
  // Renamed into place once whole, as on the real disk.
  if (status.ok()) status = disk_->RenameFile(partial, path_);
  if (!status.ok()) {
    (void)disk_->RemoveFile(partial);
    return eventlog::FromLevelDb(status, what);
  }
  return SyncDataDir();
}

Status Ballast::Create() {
  if (bytes_ == 0 || present()) return Status::Ok();
  const std::string partial = path_ + ".partial";
  if (disk_ != nullptr) return CreateOnInjectedDisk(partial);
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
  if (disk_ != nullptr) {
    (void)disk_->RemoveFile(path_ + ".partial");  // what a crash mid-Create left, if anything
    if (!present()) return Status::Ok();
    LB_RETURN_IF_ERROR(
        eventlog::FromLevelDb(disk_->RemoveFile(path_), "ballast: cannot delete " + path_));
    return SyncDataDir();
  }
  unlink((path_ + ".partial").c_str());  // what a crash mid-Create left, if anything
  if (!present()) return Status::Ok();
  if (unlink(path_.c_str()) != 0) return Errno("ballast: cannot delete", path_);
  return SyncDirectory(data_dir_);
}

uint64_t BytesToOpenLevelDbs(leveldb::Env& disk, const std::vector<std::string>& directories) {
  uint64_t total = 0;
  for (const std::string& directory : directories) {
    total += kLevelDbOpenMetadataBytes;
    std::vector<std::string> children;
    if (!disk.GetChildren(directory, &children).ok()) continue;
    for (const std::string& child : children) {
      if (!EndsWith(child, ".log")) continue;
      uint64_t size = 0;
      if (disk.GetFileSize(directory + "/" + child, &size).ok()) total += size;
    }
  }
  return total;
}

}  // namespace lifeboat
