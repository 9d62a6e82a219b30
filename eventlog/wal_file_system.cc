#include "eventlog/wal_file_system.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace lifeboat::eventlog {
namespace {

leveldb::Status PosixError(const std::string& what, const std::string& path) {
  return leveldb::Status::IOError(what + " " + path, std::strerror(errno));
}

class PosixOverwriteFile final : public OverwriteFile {
 public:
  PosixOverwriteFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixOverwriteFile() override {
    if (fd_ >= 0) (void)Close();
  }

  leveldb::Status WriteAt(uint64_t offset, const leveldb::Slice& data) override {
    const char* bytes = data.data();
    size_t size = data.size();
    while (size > 0) {
      const ssize_t n = ::pwrite(fd_, bytes, size, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return PosixError("write", path_);
      bytes += n;
      size -= static_cast<size_t>(n);
      offset += static_cast<uint64_t>(n);
    }
    return leveldb::Status::OK();
  }

  leveldb::Status Sync() override {
    if (::fdatasync(fd_) != 0) return PosixError("fdatasync", path_);
    return leveldb::Status::OK();
  }

  leveldb::Status Close() override {
    if (fd_ < 0) return leveldb::Status::OK();
    const int result = ::close(fd_);
    fd_ = -1;
    if (result != 0) return PosixError("close", path_);
    return leveldb::Status::OK();
  }

 private:
  int fd_;
  const std::string path_;
};

class PosixWalFiles final : public WalFileSystem {
 public:
  leveldb::Status NewOverwriteFile(const std::string& name,
                                   std::unique_ptr<OverwriteFile>* file) override {
    const int fd = ::open(name.c_str(), O_WRONLY | O_CLOEXEC);  // no O_CREAT, no O_TRUNC
    if (fd < 0) return PosixError("open", name);
    *file = std::make_unique<PosixOverwriteFile>(fd, name);
    return leveldb::Status::OK();
  }

  leveldb::Status TruncateFile(const std::string& name, uint64_t size) override {
    const int fd = ::open(name.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open", name);
    leveldb::Status status;
    // fsync, not fdatasync: the new size is the point.
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0 || ::fsync(fd) != 0) {
      status = PosixError("trim", name);
    }
    ::close(fd);
    return status;
  }

  leveldb::Status FreeBytes(const std::string& directory, uint64_t* bytes) override {
    struct statvfs fs {};
    if (::statvfs(directory.c_str(), &fs) != 0) return PosixError("statvfs", directory);
    *bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    return leveldb::Status::OK();
  }
};

}  // namespace

WalFileSystem* PosixWalFileSystem() {
  static PosixWalFiles* files = new PosixWalFiles();
  return files;
}

}  // namespace lifeboat::eventlog
