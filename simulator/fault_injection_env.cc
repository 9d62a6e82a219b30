#include "simulator/fault_injection_env.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "appliance/env/check.h"

namespace lifeboat::simulator {
namespace {

std::string DirectoryOf(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string(".") : name.substr(0, slash);
}

std::string_view BaseName(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string_view(name)
                                    : std::string_view(name).substr(slash + 1);
}

bool IsManifest(const std::string& name) {
  return BaseName(name).starts_with("MANIFEST");
}

leveldb::Status CrashedError(const std::string& name) {
  return leveldb::Status::IOError(name, "simulated crash");
}

}  // namespace

// Forwards to the real file and reports every write and sync to the Env.
class FaultInjectionEnv::TrackedFile : public leveldb::WritableFile {
 public:
  TrackedFile(FaultInjectionEnv* env, std::string name, leveldb::WritableFile* target)
      : env_(env), name_(std::move(name)), target_(target) {}

  leveldb::Status Append(const leveldb::Slice& data) override {
    size_t allowed = 0;
    leveldb::Status before = env_->BeforeWrite(name_, data.size(), &allowed);
    if (allowed > 0) {
      leveldb::Status status = target_->Append(leveldb::Slice(data.data(), allowed));
      if (status.ok()) env_->AfterWrite(name_, allowed);
      if (!status.ok()) return status;
    }
    return before;
  }
  leveldb::Status Close() override { return target_->Close(); }
  leveldb::Status Flush() override { return target_->Flush(); }
  leveldb::Status Sync() override {
    leveldb::Status before = env_->BeforeSync();
    if (!before.ok()) return before;
    leveldb::Status status = target_->Sync();
    if (status.ok()) env_->AfterSync(name_);
    return status;
  }

 private:
  FaultInjectionEnv* env_;
  const std::string name_;
  std::unique_ptr<leveldb::WritableFile> target_;
};

FaultInjectionEnv::FaultInjectionEnv(leveldb::Env* target, uint64_t seed)
    : leveldb::EnvWrapper(target), random_state_(seed) {}

uint64_t FaultInjectionEnv::NextRandomLocked() {
  random_state_ += 0x9e3779b97f4a7c15ull;
  uint64_t z = random_state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

leveldb::Status FaultInjectionEnv::NewWritableFile(const std::string& name,
                                                   leveldb::WritableFile** file) {
  {
    std::lock_guard lock(mutex_);
    if (crashed_) return CrashedError(name);
    if (no_space_) return leveldb::Status::IOError(name, std::strerror(ENOSPC));
  }
  const bool existed = target()->FileExists(name);
  leveldb::WritableFile* real = nullptr;
  leveldb::Status status = target()->NewWritableFile(name, &real);
  if (!status.ok()) return status;
  std::lock_guard lock(mutex_);
  files_[name] = FileState{};  // created or truncated: nothing of it is synced yet
  if (!existed) new_files_since_dir_sync_.insert(name);
  *file = new TrackedFile(this, name, real);
  return status;
}

leveldb::Status FaultInjectionEnv::NewAppendableFile(const std::string& name,
                                                     leveldb::WritableFile** file) {
  {
    std::lock_guard lock(mutex_);
    if (crashed_) return CrashedError(name);
  }
  const bool existed = target()->FileExists(name);
  uint64_t size = 0;
  if (existed && !target()->GetFileSize(name, &size).ok()) size = 0;
  leveldb::WritableFile* real = nullptr;
  leveldb::Status status = target()->NewAppendableFile(name, &real);
  if (!status.ok()) return status;
  std::lock_guard lock(mutex_);
  auto [it, inserted] = files_.try_emplace(name, FileState{size, size});
  (void)it;
  (void)inserted;  // an already tracked file keeps its unsynced tail
  if (!existed) new_files_since_dir_sync_.insert(name);
  *file = new TrackedFile(this, name, real);
  return status;
}

leveldb::Status FaultInjectionEnv::RemoveFile(const std::string& name) {
  {
    std::lock_guard lock(mutex_);
    if (crashed_) return CrashedError(name);
  }
  leveldb::Status status = target()->RemoveFile(name);
  if (status.ok()) {
    std::lock_guard lock(mutex_);
    files_.erase(name);
    new_files_since_dir_sync_.erase(name);
  }
  return status;
}

leveldb::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  {
    std::lock_guard lock(mutex_);
    if (crashed_) return CrashedError(from);
  }
  const bool target_existed = target()->FileExists(to);
  leveldb::Status status = target()->RenameFile(from, to);
  if (!status.ok()) return status;
  std::lock_guard lock(mutex_);
  files_.erase(to);
  if (auto it = files_.find(from); it != files_.end()) {
    files_[to] = it->second;
    files_.erase(from);
  }
  const bool from_was_new = new_files_since_dir_sync_.erase(from) > 0;
  new_files_since_dir_sync_.erase(to);
  // See the header: a rename onto an existing name is treated as durable.
  if (from_was_new && !target_existed) new_files_since_dir_sync_.insert(to);
  return status;
}

void FaultInjectionEnv::SetWriteError(bool fail) {
  std::lock_guard lock(mutex_);
  write_error_ = fail;
}

void FaultInjectionEnv::SetSyncError(bool fail) {
  std::lock_guard lock(mutex_);
  sync_error_ = fail;
}

void FaultInjectionEnv::SetNoSpace(bool full) {
  std::lock_guard lock(mutex_);
  no_space_ = full;
}

void FaultInjectionEnv::ScheduleCrash(uint64_t operations) {
  std::lock_guard lock(mutex_);
  crash_countdown_ = operations;
}

void FaultInjectionEnv::CrashNow() {
  std::lock_guard lock(mutex_);
  crashed_ = true;
}

bool FaultInjectionEnv::crashed() const {
  std::lock_guard lock(mutex_);
  return crashed_;
}

uint64_t FaultInjectionEnv::write_count() const {
  std::lock_guard lock(mutex_);
  return write_count_;
}

uint64_t FaultInjectionEnv::sync_count() const {
  std::lock_guard lock(mutex_);
  return sync_count_;
}

bool FaultInjectionEnv::ReachedCrashPointLocked() {
  if (crash_countdown_ == 0) return false;
  if (--crash_countdown_ > 0) return false;
  crashed_ = true;
  return true;
}

leveldb::Status FaultInjectionEnv::BeforeWrite(const std::string& name, size_t bytes,
                                               size_t* allowed_bytes) {
  std::lock_guard lock(mutex_);
  *allowed_bytes = 0;
  if (crashed_) return CrashedError(name);
  ++write_count_;
  if (ReachedCrashPointLocked()) {
    // The torn write: the process died after part of it reached the page cache.
    *allowed_bytes = bytes == 0 ? 0 : static_cast<size_t>(NextRandomLocked() % bytes);
    return CrashedError(name);
  }
  if (no_space_) return leveldb::Status::IOError(name, std::strerror(ENOSPC));
  if (write_error_) return leveldb::Status::IOError(name, "injected write error");
  *allowed_bytes = bytes;
  return leveldb::Status::OK();
}

void FaultInjectionEnv::AfterWrite(const std::string& name, size_t bytes) {
  std::lock_guard lock(mutex_);
  files_[name].written_bytes += bytes;
}

void FaultInjectionEnv::HoldSyncs() {
  std::lock_guard lock(mutex_);
  hold_syncs_ = true;
}

void FaultInjectionEnv::ReleaseSyncs() {
  {
    std::lock_guard lock(mutex_);
    hold_syncs_ = false;
  }
  hold_changed_.notify_all();
}

bool FaultInjectionEnv::WaitForHeldSync(std::chrono::milliseconds bound) {
  std::unique_lock lock(mutex_);
  return hold_changed_.wait_for(lock, bound, [this] { return held_syncs_ > 0; });
}

leveldb::Status FaultInjectionEnv::BeforeSync() {
  std::unique_lock lock(mutex_);
  if (hold_syncs_) {
    ++held_syncs_;
    hold_changed_.notify_all();
    hold_changed_.wait(lock, [this] { return !hold_syncs_; });
    --held_syncs_;
  }
  if (crashed_) return CrashedError("sync");
  ++sync_count_;
  if (ReachedCrashPointLocked()) return CrashedError("sync");
  if (sync_error_) return leveldb::Status::IOError("sync", "injected sync error");
  return leveldb::Status::OK();
}

void FaultInjectionEnv::AfterSync(const std::string& name) {
  std::lock_guard lock(mutex_);
  FileState& state = files_[name];
  state.synced_bytes = state.written_bytes;
  // PosixWritableFile::Sync also syncs the directory of a MANIFEST.
  if (IsManifest(name)) MarkDirectorySyncedLocked(DirectoryOf(name));
}

void FaultInjectionEnv::MarkDirectorySyncedLocked(const std::string& directory) {
  for (auto it = new_files_since_dir_sync_.begin(); it != new_files_since_dir_sync_.end();) {
    it = DirectoryOf(*it) == directory ? new_files_since_dir_sync_.erase(it) : std::next(it);
  }
}

leveldb::Status FaultInjectionEnv::SyncDirectory(const std::string& directory) {
  leveldb::Status status = BeforeSync();
  if (!status.ok()) return status;
  std::lock_guard lock(mutex_);
  MarkDirectorySyncedLocked(directory);
  return status;
}

leveldb::Status FaultInjectionEnv::SimulateCrash(CrashMode mode) {
  std::lock_guard lock(mutex_);
  leveldb::Status result;
  for (const std::string& name : new_files_since_dir_sync_) {
    if (mode == CrashMode::kKeepRandomUnsynced) break;  // names survive (see the header)
    leveldb::Status status = target()->RemoveFile(name);
    if (!status.ok() && !status.IsNotFound() && result.ok()) result = status;
    files_.erase(name);
  }
  for (const auto& [name, state] : files_) {
    uint64_t keep = state.synced_bytes;
    if (mode == CrashMode::kKeepRandomUnsynced && state.written_bytes > state.synced_bytes) {
      keep += NextRandomLocked() % (state.written_bytes - state.synced_bytes + 1);
    }
    uint64_t size = 0;
    if (!target()->GetFileSize(name, &size).ok()) continue;  // removed through another path
    if (size <= keep) continue;
    if (::truncate(name.c_str(), static_cast<off_t>(keep)) != 0 && result.ok()) {
      result = leveldb::Status::IOError(name, std::strerror(errno));
    }
  }
  files_.clear();
  new_files_since_dir_sync_.clear();
  write_error_ = sync_error_ = no_space_ = crashed_ = false;
  crash_countdown_ = 0;
  return result;
}

}  // namespace lifeboat::simulator
