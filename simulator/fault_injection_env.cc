#include "simulator/fault_injection_env.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "appliance/env/check.h"
#include "eventlog/wal_tail.h"

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

// What a crash keeps or loses of a file written in place (eventlog/wal_tail.h).
constexpr uint64_t kPageBytes = eventlog::wal::kPageBytes;

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
  leveldb::Status Sync() override { return env_->SyncTracked(name_, *target_); }

 private:
  FaultInjectionEnv* env_;
  const std::string name_;
  std::unique_ptr<leveldb::WritableFile> target_;
};

// An in-place write target (the preallocated WAL): each write records what it replaces first.
class FaultInjectionEnv::TrackedOverwriteFile : public eventlog::OverwriteFile {
 public:
  TrackedOverwriteFile(FaultInjectionEnv* env, std::string name,
                       std::unique_ptr<eventlog::OverwriteFile> target)
      : env_(env), name_(std::move(name)), target_(std::move(target)) {}

  leveldb::Status WriteAt(uint64_t offset, const leveldb::Slice& data) override {
    size_t allowed = 0;
    leveldb::Status before = env_->BeforeWrite(name_, data.size(), &allowed);
    if (allowed < data.size()) {
      // Torn: the kernel copies a write into the page cache a page at a time, under the page's
      // lock, so writeback finds each page of it whole or untouched. Whole pages only.
      const uint64_t end = (offset + allowed) / kPageBytes * kPageBytes;
      allowed = end > offset ? static_cast<size_t>(end - offset) : 0;
    }
    if (allowed > 0) {
      std::string prior;
      leveldb::Status read = ReadPrior(offset, allowed, &prior);
      if (!read.ok()) return read;
      leveldb::Status status = target_->WriteAt(offset, leveldb::Slice(data.data(), allowed));
      if (!status.ok()) return status;
      env_->AfterOverwrite(name_, offset, allowed, std::move(prior));
    }
    return before;
  }
  leveldb::Status Sync() override { return env_->SyncTracked(name_, *target_); }
  leveldb::Status Close() override { return target_->Close(); }

 private:
  // The bytes [offset, offset + bytes) hold now, cut at the end of the file.
  leveldb::Status ReadPrior(uint64_t offset, size_t bytes, std::string* prior) {
    leveldb::Env* files = env_->target();
    uint64_t size = 0;
    leveldb::Status status = files->GetFileSize(name_, &size);
    if (!status.ok() || offset >= size) return status;
    bytes = static_cast<size_t>(std::min<uint64_t>(bytes, size - offset));
    leveldb::RandomAccessFile* file = nullptr;
    status = files->NewRandomAccessFile(name_, &file);
    if (!status.ok()) return status;
    std::unique_ptr<leveldb::RandomAccessFile> owned(file);
    prior->resize(bytes);
    leveldb::Slice read;
    status = owned->Read(offset, bytes, &read, prior->data());
    if (status.ok() && read.size() != bytes) {
      status = leveldb::Status::IOError(name_, "short read of the bytes an overwrite replaces");
    }
    if (status.ok() && read.data() != prior->data()) prior->assign(read.data(), read.size());
    return status;
  }

  FaultInjectionEnv* env_;
  const std::string name_;
  std::unique_ptr<eventlog::OverwriteFile> target_;
};

FaultInjectionEnv::FaultInjectionEnv(leveldb::Env* target, uint64_t seed,
                                     eventlog::WalFileSystem* target_files)
    : leveldb::EnvWrapper(target), target_files_(target_files), random_state_(seed) {}

leveldb::Status FaultInjectionEnv::NewOverwriteFile(
    const std::string& name, std::unique_ptr<eventlog::OverwriteFile>* file) {
  {
    std::lock_guard lock(mutex_);
    if (crashed_) return CrashedError(name);
  }
  std::unique_ptr<eventlog::OverwriteFile> real;
  leveldb::Status status = target_files_->NewOverwriteFile(name, &real);
  if (!status.ok()) return status;
  uint64_t size = 0;
  status = target()->GetFileSize(name, &size);
  if (!status.ok()) return status;
  std::lock_guard lock(mutex_);
  // A file made through this Env (the spare) keeps its state; another one is as synced as it is.
  files_.try_emplace(name, FileState{size, size, {}});
  *file = std::make_unique<TrackedOverwriteFile>(this, name, std::move(real));
  return status;
}

leveldb::Status FaultInjectionEnv::TruncateFile(const std::string& name, uint64_t size) {
  {
    std::lock_guard lock(mutex_);
    if (crashed_) return CrashedError(name);
  }
  leveldb::Status status = target_files_->TruncateFile(name, size);
  if (!status.ok()) return status;
  std::lock_guard lock(mutex_);
  if (auto it = files_.find(name); it != files_.end()) it->second = FileState{size, size, {}};
  return status;
}

leveldb::Status FaultInjectionEnv::FreeBytes(const std::string& directory, uint64_t* bytes) {
  {
    std::lock_guard lock(mutex_);
    if (crashed_) return CrashedError(directory);
    if (no_space_) {
      *bytes = 0;
      return leveldb::Status::OK();
    }
  }
  return target_files_->FreeBytes(directory, bytes);
}

void FaultInjectionEnv::AfterOverwrite(const std::string& name, uint64_t offset, size_t bytes,
                                       std::string prior) {
  std::lock_guard lock(mutex_);
  FileState& state = files_[name];
  state.written_bytes = std::max<uint64_t>(state.written_bytes, offset + bytes);
  state.undo.push_back(Undo{offset, bytes, std::move(prior)});
}

uint64_t FaultInjectionEnv::UnsyncedCutLocked(const FileState& state, CrashMode mode) {
  uint64_t low = UINT64_MAX;
  uint64_t high = 0;
  for (const Undo& undo : state.undo) {
    low = std::min(low, undo.offset);
    high = std::max(high, undo.offset + undo.bytes);
  }
  if (mode == CrashMode::kDropUnsynced || low >= high) return low;
  const uint64_t first_page = low / kPageBytes * kPageBytes;
  const uint64_t pages = (high - first_page + kPageBytes - 1) / kPageBytes;
  const uint64_t cut = first_page + NextRandomLocked() % (pages + 1) * kPageBytes;
  return std::clamp(cut, low, high);
}

leveldb::Status FaultInjectionEnv::RevertLocked(const std::string& name, const FileState& state,
                                                uint64_t cut) {
  if (!target()->FileExists(name)) return leveldb::Status::OK();  // removed since
  std::unique_ptr<eventlog::OverwriteFile> file;
  leveldb::Status status = target_files_->NewOverwriteFile(name, &file);
  if (!status.ok()) return status;
  // Newest first, so that a range written twice ends with what the first write found.
  for (auto undo = state.undo.rbegin(); undo != state.undo.rend() && status.ok(); ++undo) {
    const uint64_t end = undo->offset + undo->prior.size();
    if (end <= cut) continue;
    const uint64_t from = std::max(undo->offset, cut);
    const std::string_view prior = std::string_view(undo->prior).substr(from - undo->offset);
    status = file->WriteAt(from, leveldb::Slice(prior.data(), prior.size()));
  }
  if (status.ok()) status = file->Sync();
  leveldb::Status closed = file->Close();
  return status.ok() ? closed : status;
}

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
  auto [it, inserted] = files_.try_emplace(name, FileState{size, size, {}});
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
  state.undo.clear();
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
    if (!state.undo.empty()) {
      // Written in place: the lost pages take their synced content back, and a file the writes
      // grew ends at its synced size or at the cut, whichever is further.
      const uint64_t cut = UnsyncedCutLocked(state, mode);
      leveldb::Status status = RevertLocked(name, state, cut);
      if (!status.ok() && result.ok()) result = status;
      keep = std::max(keep, cut);
    } else if (mode == CrashMode::kKeepRandomUnsynced && state.written_bytes > state.synced_bytes) {
      keep += NextRandomLocked() % (state.written_bytes - state.synced_bytes + 1);
    }
    uint64_t size = 0;
    if (!target()->GetFileSize(name, &size).ok()) continue;  // removed through another path
    if (size <= keep) continue;
    // Through the file layer, so that an in-memory disk (simulator/sim_disk.h) is cut too.
    leveldb::Status status = target_files_->TruncateFile(name, keep);
    if (!status.ok() && result.ok()) result = status;
  }
  files_.clear();
  new_files_since_dir_sync_.clear();
  write_error_ = sync_error_ = no_space_ = crashed_ = false;
  crash_countdown_ = 0;
  return result;
}

}  // namespace lifeboat::simulator
