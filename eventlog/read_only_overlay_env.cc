#include "eventlog/read_only_overlay_env.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace lifeboat::eventlog {
namespace {

using MemoryFile = ReadOnlyOverlayEnv::MemoryFile;
using Budget = std::shared_ptr<std::atomic<uint64_t>>;

// Reads sequentially from a memory file (a MANIFEST or a WAL LevelDB wrote here).
class MemorySequentialFile final : public leveldb::SequentialFile {
 public:
  explicit MemorySequentialFile(std::shared_ptr<MemoryFile> file) : file_(std::move(file)) {}
  leveldb::Status Read(size_t n, leveldb::Slice* result, char* scratch) override {
    std::lock_guard lock(file_->mutex);
    const size_t available = file_->data.size() - std::min(position_, file_->data.size());
    const size_t count = std::min(n, available);
    std::memcpy(scratch, file_->data.data() + position_, count);
    position_ += count;
    *result = leveldb::Slice(scratch, count);
    return leveldb::Status::OK();
  }
  leveldb::Status Skip(uint64_t n) override {
    std::lock_guard lock(file_->mutex);
    position_ = std::min<size_t>(file_->data.size(), position_ + n);
    return leveldb::Status::OK();
  }

 private:
  std::shared_ptr<MemoryFile> file_;
  size_t position_ = 0;
};

class MemoryRandomAccessFile final : public leveldb::RandomAccessFile {
 public:
  explicit MemoryRandomAccessFile(std::shared_ptr<MemoryFile> file) : file_(std::move(file)) {}
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    std::lock_guard lock(file_->mutex);
    if (offset > file_->data.size()) {
      return leveldb::Status::IOError("read past the end of a memory file");
    }
    const size_t count = std::min<size_t>(n, file_->data.size() - offset);
    std::memcpy(scratch, file_->data.data() + offset, count);
    *result = leveldb::Slice(scratch, count);
    return leveldb::Status::OK();
  }

 private:
  std::shared_ptr<MemoryFile> file_;
};

class MemoryWritableFile final : public leveldb::WritableFile {
 public:
  MemoryWritableFile(std::shared_ptr<MemoryFile> file, Budget budget, uint64_t bytes_max)
      : file_(std::move(file)), budget_(std::move(budget)), bytes_max_(bytes_max) {}
  leveldb::Status Append(const leveldb::Slice& data) override {
    const uint64_t used = budget_->fetch_add(data.size()) + data.size();
    if (used > bytes_max_) {
      budget_->fetch_sub(data.size());
      return leveldb::Status::IOError("read-only data dir: the in-memory overlay is full (" +
                                      std::to_string(bytes_max_) + " bytes)");
    }
    std::lock_guard lock(file_->mutex);
    file_->data.append(data.data(), data.size());
    return leveldb::Status::OK();
  }
  leveldb::Status Close() override { return leveldb::Status::OK(); }
  leveldb::Status Flush() override { return leveldb::Status::OK(); }
  // Nothing here is durable, and the node never tells anyone it is (read_only_overlay_env.h).
  leveldb::Status Sync() override { return leveldb::Status::OK(); }

 private:
  std::shared_ptr<MemoryFile> file_;
  Budget budget_;
  const uint64_t bytes_max_;
};

// LevelDB's info log: dropped (the node logs what matters itself).
class DiscardingLogger final : public leveldb::Logger {
 public:
  void Logv(const char*, std::va_list) override {}
};

std::string DirectoryOf(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

}  // namespace

ReadOnlyOverlayEnv::ReadOnlyOverlayEnv(leveldb::Env* base, uint64_t bytes_max)
    : leveldb::EnvWrapper(base),
      bytes_max_(bytes_max),
      budget_used_(std::make_shared<std::atomic<uint64_t>>(0)),
      memory_bytes_(*budget_used_) {}

ReadOnlyOverlayEnv::~ReadOnlyOverlayEnv() = default;

std::shared_ptr<MemoryFile> ReadOnlyOverlayEnv::FindLocked(const std::string& name) const {
  auto found = files_.find(name);
  return found == files_.end() ? nullptr : found->second;
}

bool ReadOnlyOverlayEnv::OnDiskLocked(const std::string& name) {
  return hidden_.count(name) == 0 && target()->FileExists(name);
}

leveldb::Status ReadOnlyOverlayEnv::PutLocked(const std::string& name, std::string contents,
                                              std::shared_ptr<MemoryFile>* file) {
  const uint64_t used = budget_used_->fetch_add(contents.size()) + contents.size();
  if (used > bytes_max_) {
    budget_used_->fetch_sub(contents.size());
    return leveldb::Status::IOError(name, "read-only data dir: the in-memory overlay is full");
  }
  if (auto old = FindLocked(name)) {
    std::lock_guard lock(old->mutex);
    budget_used_->fetch_sub(old->data.size());
  }
  auto made = std::make_shared<MemoryFile>();
  made->data = std::move(contents);
  files_[name] = made;
  hidden_.insert(name);  // the memory file shadows the disk's, and stays gone once removed
  if (file != nullptr) *file = std::move(made);
  return leveldb::Status::OK();
}

leveldb::Status ReadOnlyOverlayEnv::ReadFromDisk(const std::string& name, std::string* contents) {
  leveldb::SequentialFile* file = nullptr;
  leveldb::Status status = target()->NewSequentialFile(name, &file);
  if (!status.ok()) return status;
  std::unique_ptr<leveldb::SequentialFile> owned(file);
  constexpr size_t kChunkBytes = 64u << 10;
  std::string scratch(kChunkBytes, '\0');
  for (;;) {
    leveldb::Slice chunk;
    status = owned->Read(kChunkBytes, &chunk, scratch.data());
    if (!status.ok()) return status;
    if (chunk.empty()) return leveldb::Status::OK();
    if (contents->size() + chunk.size() > bytes_max_) {
      return leveldb::Status::IOError(name, "read-only data dir: too large to copy into memory");
    }
    contents->append(chunk.data(), chunk.size());
  }
}

leveldb::Status ReadOnlyOverlayEnv::NewSequentialFile(const std::string& name,
                                                      leveldb::SequentialFile** result) {
  std::lock_guard lock(mutex_);
  if (auto file = FindLocked(name)) {
    *result = new MemorySequentialFile(std::move(file));
    return leveldb::Status::OK();
  }
  if (hidden_.count(name) != 0) return leveldb::Status::NotFound(name, "removed");
  return target()->NewSequentialFile(name, result);
}

leveldb::Status ReadOnlyOverlayEnv::NewRandomAccessFile(const std::string& name,
                                                        leveldb::RandomAccessFile** result) {
  std::lock_guard lock(mutex_);
  if (auto file = FindLocked(name)) {
    *result = new MemoryRandomAccessFile(std::move(file));
    return leveldb::Status::OK();
  }
  if (hidden_.count(name) != 0) return leveldb::Status::NotFound(name, "removed");
  return target()->NewRandomAccessFile(name, result);
}

leveldb::Status ReadOnlyOverlayEnv::NewWritableFile(const std::string& name,
                                                    leveldb::WritableFile** result) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<MemoryFile> file;
  leveldb::Status status = PutLocked(name, std::string(), &file);
  if (!status.ok()) return status;
  *result = new MemoryWritableFile(std::move(file), budget_used_, bytes_max_);
  return leveldb::Status::OK();
}

leveldb::Status ReadOnlyOverlayEnv::NewAppendableFile(const std::string& name,
                                                      leveldb::WritableFile** result) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<MemoryFile> file = FindLocked(name);
  if (file == nullptr) {
    std::string contents;
    if (OnDiskLocked(name)) {
      leveldb::Status read = ReadFromDisk(name, &contents);
      if (!read.ok()) return read;
    }
    leveldb::Status status = PutLocked(name, std::move(contents), &file);
    if (!status.ok()) return status;
  }
  *result = new MemoryWritableFile(std::move(file), budget_used_, bytes_max_);
  return leveldb::Status::OK();
}

bool ReadOnlyOverlayEnv::FileExists(const std::string& name) {
  std::lock_guard lock(mutex_);
  return FindLocked(name) != nullptr || OnDiskLocked(name);
}

leveldb::Status ReadOnlyOverlayEnv::GetChildren(const std::string& directory,
                                                std::vector<std::string>* result) {
  std::lock_guard lock(mutex_);
  result->clear();
  std::vector<std::string> on_disk;
  leveldb::Status status = target()->GetChildren(directory, &on_disk);
  if (!status.ok() && directories_.count(directory) == 0) return status;
  std::set<std::string> names;
  for (const std::string& child : on_disk) {
    if (hidden_.count(directory + "/" + child) == 0) names.insert(child);
  }
  for (const auto& [name, file] : files_) {
    if (DirectoryOf(name) == directory) names.insert(name.substr(directory.size() + 1));
  }
  result->assign(names.begin(), names.end());
  return leveldb::Status::OK();
}

leveldb::Status ReadOnlyOverlayEnv::RemoveFile(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto found = files_.find(name);
  const bool on_disk = OnDiskLocked(name);
  if (found == files_.end() && !on_disk) return leveldb::Status::NotFound(name, "no such file");
  if (found != files_.end()) {
    std::lock_guard file_lock(found->second->mutex);
    budget_used_->fetch_sub(found->second->data.size());
  }
  if (found != files_.end()) files_.erase(found);
  hidden_.insert(name);
  return leveldb::Status::OK();
}

leveldb::Status ReadOnlyOverlayEnv::CreateDir(const std::string& directory) {
  std::lock_guard lock(mutex_);
  directories_.insert(directory);
  return leveldb::Status::OK();
}

leveldb::Status ReadOnlyOverlayEnv::RemoveDir(const std::string& directory) {
  std::lock_guard lock(mutex_);
  directories_.erase(directory);
  return leveldb::Status::OK();
}

leveldb::Status ReadOnlyOverlayEnv::GetFileSize(const std::string& name, uint64_t* size) {
  std::lock_guard lock(mutex_);
  if (auto file = FindLocked(name)) {
    std::lock_guard file_lock(file->mutex);
    *size = file->data.size();
    return leveldb::Status::OK();
  }
  if (hidden_.count(name) != 0) return leveldb::Status::NotFound(name, "removed");
  return target()->GetFileSize(name, size);
}

// LevelDB renames a temporary file to CURRENT (both here in memory) and its info LOG to LOG.old
// (on disk, read by no one): a file on disk is copied into memory under the new name.
leveldb::Status ReadOnlyOverlayEnv::RenameFile(const std::string& from, const std::string& to) {
  std::lock_guard lock(mutex_);
  std::string contents;
  if (auto file = FindLocked(from)) {
    std::lock_guard file_lock(file->mutex);
    contents = file->data;
  } else if (OnDiskLocked(from)) {
    leveldb::Status read = ReadFromDisk(from, &contents);
    if (!read.ok()) return read;
  } else {
    return leveldb::Status::NotFound(from, "no such file");
  }
  leveldb::Status put = PutLocked(to, std::move(contents), nullptr);
  if (!put.ok()) return put;
  if (auto file = FindLocked(from)) {
    std::lock_guard file_lock(file->mutex);
    budget_used_->fetch_sub(file->data.size());
  }
  files_.erase(from);
  hidden_.insert(from);
  return leveldb::Status::OK();
}

leveldb::Status ReadOnlyOverlayEnv::NewLogger(const std::string&, leveldb::Logger** result) {
  *result = new DiscardingLogger();
  return leveldb::Status::OK();
}

}  // namespace lifeboat::eventlog
