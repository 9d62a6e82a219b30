#include "eventlog/preallocated_wal_env.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <utility>

#include "appliance/env/check.h"
#include "eventlog/wal_tail.h"

namespace lifeboat::eventlog {
namespace {

std::string Errno(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

// Writes `data` at `offset`, all of it or an error.
bool WriteFullyAt(int fd, const char* data, size_t size, off_t offset) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return true;
}

// A WAL in a zero-filled file: LevelDB's appends become writes at our own offset. Buffers like
// LevelDB's PosixWritableFile: Flush hands the bytes to the kernel, Sync makes them durable.
class PreallocatedWalFile final : public leveldb::WritableFile {
 public:
  PreallocatedWalFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {
    buffer_.reserve(kWalWriteBufferBytes);
  }
  ~PreallocatedWalFile() override {
    if (fd_ >= 0) (void)Close();
  }

  leveldb::Status Append(const leveldb::Slice& data) override {
    if (buffer_.size() + data.size() > kWalWriteBufferBytes) {
      leveldb::Status status = Flush();
      if (!status.ok()) return status;
      if (data.size() > kWalWriteBufferBytes) return WriteAt(data.data(), data.size());
    }
    buffer_.append(data.data(), data.size());
    return leveldb::Status::OK();
  }

  leveldb::Status Flush() override {
    if (buffer_.empty()) return leveldb::Status::OK();
    leveldb::Status status = WriteAt(buffer_.data(), buffer_.size());
    buffer_.clear();
    return status;
  }

  leveldb::Status Sync() override {
    leveldb::Status status = Flush();
    if (!status.ok()) return status;
    // fdatasync: the blocks were written and synced when the spare was made, so only data moves.
    if (::fdatasync(fd_) != 0) return leveldb::Status::IOError(Errno("fdatasync", path_));
    return leveldb::Status::OK();
  }

  leveldb::Status Close() override {
    leveldb::Status status = Flush();
    if (::close(fd_) != 0 && status.ok()) status = leveldb::Status::IOError(Errno("close", path_));
    fd_ = -1;
    return status;
  }

 private:
  leveldb::Status WriteAt(const char* data, size_t size) {
    if (!WriteFullyAt(fd_, data, size, offset_)) {
      return leveldb::Status::IOError(Errno("write", path_));
    }
    offset_ += static_cast<off_t>(size);
    return leveldb::Status::OK();
  }

  int fd_;
  const std::string path_;
  off_t offset_ = 0;
  std::string buffer_;
};

Status TrimOne(const std::string& path) {
  std::string bytes;
  leveldb::Status read = leveldb::ReadFileToString(leveldb::Env::Default(), path, &bytes);
  if (!read.ok()) return Status::IoError("reading " + read.ToString());
  Result<uint64_t> end = wal::FindEnd(bytes);
  if (!end.ok()) return Status::Corruption(path + ": " + end.status().message());
  if (*end == bytes.size()) return Status::Ok();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(Errno("open", path));
  Status status;
  if (::ftruncate(fd, static_cast<off_t>(*end)) != 0 || ::fsync(fd) != 0) {
    status = Status::IoError(Errno("trim", path));
  }
  ::close(fd);
  return status;
}

Status TrimAll(const std::string& directory) {
  std::error_code error;
  std::filesystem::directory_iterator it(directory, error);
  if (error) return Status::IoError("listing " + directory + ": " + error.message());
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (!wal::IsWriteAheadLogName(name) || !entry.is_regular_file()) continue;
    LB_RETURN_IF_ERROR(TrimOne(entry.path().string()));
  }
  return Status::Ok();
}

// Runs `work` holding LevelDB's own LOCK of `directory` (an fcntl lock; DB::Open takes the same
// one), then releases it. Its error names the lock when a running node, or this process, holds
// the log: then nothing in the directory is touched.
Status UnderLogLock(const std::string& directory, const std::function<Status()>& work) {
  leveldb::Env* posix = leveldb::Env::Default();
  leveldb::FileLock* lock = nullptr;
  leveldb::Status locked = posix->LockFile(directory + "/LOCK", &lock);
  if (!locked.ok()) return Status::IoError(locked.ToString());
  Status status = work();
  leveldb::Status unlocked = posix->UnlockFile(lock);
  if (status.ok() && !unlocked.ok()) status = Status::IoError(unlocked.ToString());
  return status;
}

bool DirectoryExists(const std::string& directory) {
  struct stat st {};
  return ::stat(directory.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Status TrimWriteAheadLogs(const std::string& directory) {
  if (!DirectoryExists(directory)) return Status::Ok();  // a new store: LevelDB creates it
  return UnderLogLock(directory, [&] { return TrimAll(directory); });
}

Result<std::unique_ptr<PreallocatedWalEnv>> PreallocatedWalEnv::Open(
    leveldb::Env* posix, PreallocatedWalOptions options) {
  LB_CHECK(options.spare_bytes > 0);
  // LevelDB would create the directory in DB::Open; the lock file and the spare need it now.
  if (::mkdir(options.directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IoError(Errno("creating", options.directory));
  }
  std::unique_ptr<PreallocatedWalEnv> env(new PreallocatedWalEnv(posix, std::move(options)));
  LB_RETURN_IF_ERROR(UnderLogLock(env->options_.directory, [&]() -> Status {
    LB_RETURN_IF_ERROR(TrimAll(env->options_.directory));
    // A leftover spare may be half filled: make a new one, which the WAL LevelDB opens next
    // gets. Made under the lock: after it is released nothing here writes until StartFiller.
    const std::string spare = env->SparePath();
    if (::unlink(spare.c_str()) != 0 && errno != ENOENT) {
      return Status::IoError(Errno("removing", spare));
    }
    env->spare_ready_ = env->FillSpare();
    return Status::Ok();
  }));
  return env;
}

void PreallocatedWalEnv::StartFiller(lifeboat::Env& env) {
  std::lock_guard<std::mutex> lock(mutex_);
  LB_CHECK(filler_ == nullptr);
  filler_ = env.NewSerialExecutor(kWalSpareThreadName);
  want_spare_ = want_spare_ || !spare_ready_;
  MaybeFillLocked();
}

PreallocatedWalEnv::PreallocatedWalEnv(leveldb::Env* posix, PreallocatedWalOptions options)
    : leveldb::EnvWrapper(posix), options_(std::move(options)) {}

PreallocatedWalEnv::~PreallocatedWalEnv() {
  stopping_ = true;  // a fill in progress gives up between chunks
  std::unique_ptr<lifeboat::SerialExecutor> filler;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    filler.swap(filler_);
  }
  if (filler != nullptr) filler->Shutdown();
}

void PreallocatedWalEnv::MaybeFillLocked() {
  if (filler_ == nullptr || fill_queued_ || !want_spare_ || stopping_) return;
  fill_queued_ = true;
  want_spare_ = false;
  filler_->Submit([this] { Fill(); });
}

void PreallocatedWalEnv::Fill() {
  const bool made = FillSpare();
  std::lock_guard<std::mutex> lock(mutex_);
  fill_queued_ = false;
  // A rename may have come while filling: it found no spare and asked for one; this is it.
  spare_ready_ = made;
  if (made) {
    want_spare_ = false;
  } else {
    MaybeFillLocked();  // only if a rename asked again meanwhile: no retry loop on a full disk
  }
}

bool PreallocatedWalEnv::spare_ready() {
  std::lock_guard<std::mutex> lock(mutex_);
  return spare_ready_;
}

std::string PreallocatedWalEnv::SparePath() const {
  return options_.directory + "/" + std::string(kWalSpareName);
}

leveldb::Status PreallocatedWalEnv::NewWritableFile(const std::string& name,
                                                    leveldb::WritableFile** file) {
  // One Env per log store: every WAL it is asked for lives in options_.directory.
  if (!wal::IsWriteAheadLogName(name)) {
    return target()->NewWritableFile(name, file);
  }
  bool take = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    take = spare_ready_;
    spare_ready_ = false;
    want_spare_ = true;  // the next one, whether or not this one is preallocated
    MaybeFillLocked();   // before StartFiller, want_spare_ waits for it
  }
  if (take) {
    // rename(2) replaces `name` atomically; the caller (WalDirSyncEnv) syncs the directory
    // before LevelDB writes a record, so the new name is durable before it matters.
    if (::rename(SparePath().c_str(), name.c_str()) == 0) {
      const int fd = ::open(name.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        *file = new PreallocatedWalFile(fd, name);
        preallocated_files_.fetch_add(1);
        return leveldb::Status::OK();
      }
      (void)::unlink(name.c_str());  // an ordinary file replaces it below (O_TRUNC)
    }
  }
  plain_files_.fetch_add(1);
  return target()->NewWritableFile(name, file);
}

bool PreallocatedWalEnv::FillSpare() {
  struct statvfs fs {};
  if (::statvfs(options_.directory.c_str(), &fs) != 0) return false;
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes / kWalSpareFreeSpaceFactor < options_.spare_bytes) return false;

  const std::string path = SparePath();
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  static const std::string zeros(kWalSpareChunkBytes, '\0');
  bool ok = true;
  for (uint64_t offset = 0; ok && offset < options_.spare_bytes; offset += zeros.size()) {
    if (stopping_) ok = false;
    const size_t chunk =
        static_cast<size_t>(std::min<uint64_t>(zeros.size(), options_.spare_bytes - offset));
    ok = ok && WriteFullyAt(fd, zeros.data(), chunk, static_cast<off_t>(offset));
  }
  // fsync, not fdatasync: the size and the block map must be durable, so that later overwrites
  // need no metadata.
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok) (void)::unlink(path.c_str());
  return ok;
}

}  // namespace lifeboat::eventlog
