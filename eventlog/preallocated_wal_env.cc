#include "eventlog/preallocated_wal_env.h"

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "appliance/env/check.h"
#include "eventlog/wal_tail.h"

namespace lifeboat::eventlog {
namespace {

// A WAL in a zero-filled file: LevelDB's appends become writes at our own offset. Buffers like
// LevelDB's PosixWritableFile: Flush hands the bytes to the file layer, Sync makes them durable.
class PreallocatedWalFile final : public leveldb::WritableFile {
 public:
  explicit PreallocatedWalFile(std::unique_ptr<OverwriteFile> file) : file_(std::move(file)) {
    buffer_.reserve(kWalWriteBufferBytes);
  }
  ~PreallocatedWalFile() override {
    if (file_ != nullptr) (void)Close();
  }

  leveldb::Status Append(const leveldb::Slice& data) override {
    if (buffer_.size() + data.size() > kWalWriteBufferBytes) {
      leveldb::Status status = Flush();
      if (!status.ok()) return status;
      if (data.size() > kWalWriteBufferBytes) return WriteAt(data);
    }
    buffer_.append(data.data(), data.size());
    return leveldb::Status::OK();
  }

  leveldb::Status Flush() override {
    if (buffer_.empty()) return leveldb::Status::OK();
    leveldb::Status status = WriteAt(buffer_);
    buffer_.clear();
    return status;
  }

  leveldb::Status Sync() override {
    leveldb::Status status = Flush();
    if (!status.ok()) return status;
    // fdatasync: the blocks were written and synced when the spare was made, so only data moves.
    return file_->Sync();
  }

  leveldb::Status Close() override {
    leveldb::Status status = Flush();
    leveldb::Status closed = file_->Close();
    file_.reset();
    return status.ok() ? closed : status;
  }

 private:
  leveldb::Status WriteAt(const leveldb::Slice& data) {
    leveldb::Status status = file_->WriteAt(offset_, data);
    if (status.ok()) offset_ += data.size();
    return status;
  }

  std::unique_ptr<OverwriteFile> file_;
  uint64_t offset_ = 0;
  std::string buffer_;
};

Status TrimOne(leveldb::Env* env, WalFileSystem* files, const std::string& path) {
  std::string bytes;
  leveldb::Status read = leveldb::ReadFileToString(env, path, &bytes);
  if (!read.ok()) return Status::IoError("reading " + read.ToString());
  Result<uint64_t> end = wal::FindEnd(bytes);
  if (!end.ok()) return Status::Corruption(path + ": " + end.status().message());
  if (*end == bytes.size()) return Status::Ok();
  leveldb::Status trimmed = files->TruncateFile(path, *end);
  if (!trimmed.ok()) return Status::IoError(trimmed.ToString());
  return Status::Ok();
}

Status TrimAll(leveldb::Env* env, WalFileSystem* files, const std::string& directory) {
  std::vector<std::string> children;
  leveldb::Status listed = env->GetChildren(directory, &children);
  if (!listed.ok()) return Status::IoError("listing " + directory + ": " + listed.ToString());
  std::sort(children.begin(), children.end());
  for (const std::string& name : children) {
    if (!wal::IsWriteAheadLogName(name)) continue;
    LB_RETURN_IF_ERROR(TrimOne(env, files, directory + "/" + name));
  }
  return Status::Ok();
}

// Runs `work` holding LevelDB's own LOCK of `directory` (an fcntl lock; DB::Open takes the same
// one), then releases it. Its error names the lock when a running node, or this process, holds
// the log: then nothing in the directory is touched.
Status UnderLogLock(leveldb::Env* env, const std::string& directory,
                    const std::function<Status()>& work) {
  leveldb::FileLock* lock = nullptr;
  leveldb::Status locked = env->LockFile(directory + "/LOCK", &lock);
  if (!locked.ok()) return Status::IoError(locked.ToString());
  Status status = work();
  leveldb::Status unlocked = env->UnlockFile(lock);
  if (status.ok() && !unlocked.ok()) status = Status::IoError(unlocked.ToString());
  return status;
}

// Removes `path` if it exists.
leveldb::Status RemoveIfPresent(leveldb::Env* env, const std::string& path) {
  if (!env->FileExists(path)) return leveldb::Status::OK();
  return env->RemoveFile(path);
}

}  // namespace

Status TrimWriteAheadLogs(leveldb::Env* env, WalFileSystem* files, const std::string& directory) {
  if (!env->FileExists(directory)) return Status::Ok();  // a new store: LevelDB creates it
  return UnderLogLock(env, directory, [&] { return TrimAll(env, files, directory); });
}

Result<std::unique_ptr<PreallocatedWalEnv>> PreallocatedWalEnv::Open(
    leveldb::Env* target, WalFileSystem* files, PreallocatedWalOptions options) {
  LB_CHECK(options.spare_bytes > 0);
  // LevelDB would create the directory in DB::Open; the lock file and the spare need it now.
  // An error here (it exists) is LevelDB's to ignore too: LockFile below reports a real one.
  (void)target->CreateDir(options.directory);
  std::unique_ptr<PreallocatedWalEnv> env(
      new PreallocatedWalEnv(target, files, std::move(options)));
  const std::string& directory = env->options_.directory;
  LB_RETURN_IF_ERROR(UnderLogLock(target, directory, [&]() -> Status {
    LB_RETURN_IF_ERROR(TrimAll(target, files, directory));
    // A leftover spare may be half filled: make a new one, which the WAL LevelDB opens next
    // gets. Made under the lock: after it is released nothing here writes until StartFiller.
    leveldb::Status removed = RemoveIfPresent(target, env->SparePath());
    if (!removed.ok()) return Status::IoError("removing " + removed.ToString());
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

PreallocatedWalEnv::PreallocatedWalEnv(leveldb::Env* target, WalFileSystem* files,
                                       PreallocatedWalOptions options)
    : leveldb::EnvWrapper(target), files_(files), options_(std::move(options)) {}

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
  bool renamed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // The spare is renamed before the filler hears that a new one is wanted: the filler creates
    // the spare's name again (O_TRUNC) and writes zeros through what it opened. Asked first, it
    // could open the old spare just before the rename and then zero the records LevelDB writes
    // into it, after they were synced (the power-cut test found this).
    // The rename replaces `name` atomically; the caller (WalDirSyncEnv) syncs the directory
    // before LevelDB writes a record, so the new name is durable before it matters.
    if (spare_ready_) renamed = target()->RenameFile(SparePath(), name).ok();
    spare_ready_ = false;
    want_spare_ = true;  // the next one, whether or not this one is preallocated
    MaybeFillLocked();   // before StartFiller, want_spare_ waits for it
  }
  if (renamed) {
    std::unique_ptr<OverwriteFile> overwrite;
    if (files_->NewOverwriteFile(name, &overwrite).ok()) {
      *file = new PreallocatedWalFile(std::move(overwrite));
      preallocated_files_.fetch_add(1);
      return leveldb::Status::OK();
    }
    (void)target()->RemoveFile(name);  // an ordinary file replaces it below
  }
  plain_files_.fetch_add(1);
  return target()->NewWritableFile(name, file);
}

bool PreallocatedWalEnv::FillSpare() {
  uint64_t free_bytes = 0;
  if (!files_->FreeBytes(options_.directory, &free_bytes).ok()) return false;
  if (free_bytes / kWalSpareFreeSpaceFactor < options_.spare_bytes) return false;

  const std::string path = SparePath();
  leveldb::WritableFile* file = nullptr;
  if (!target()->NewWritableFile(path, &file).ok()) return false;
  static const std::string zeros(kWalSpareChunkBytes, '\0');
  bool ok = true;
  for (uint64_t offset = 0; ok && offset < options_.spare_bytes; offset += zeros.size()) {
    if (stopping_) ok = false;
    const size_t chunk =
        static_cast<size_t>(std::min<uint64_t>(zeros.size(), options_.spare_bytes - offset));
    ok = ok && file->Append(leveldb::Slice(zeros.data(), chunk)).ok();
  }
  // The sync makes the size and the block map durable with the zeros (fdatasync(2) flushes the
  // metadata a later read needs), so that later overwrites need no metadata.
  ok = ok && file->Sync().ok();
  ok = file->Close().ok() && ok;
  delete file;
  if (!ok) (void)target()->RemoveFile(path);
  return ok;
}

}  // namespace lifeboat::eventlog
