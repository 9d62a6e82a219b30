#include "appliance/disk_reserve.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lifeboat {

Result<uint64_t> FileSystemFreeBytes(const std::string& path) {
  struct statvfs stats {};
  if (::statvfs(path.c_str(), &stats) != 0) {
    return Status::IoError("statvfs " + path + ": " + std::strerror(errno));
  }
  // f_bavail: blocks available to an unprivileged user, which is what the service runs as.
  return static_cast<uint64_t>(stats.f_bavail) * stats.f_frsize;
}

uint64_t AllocatedBytes(const std::vector<std::string>& directories, uint64_t enough_bytes) {
  uint64_t total = 0;
  for (const std::string& directory : directories) {
    DIR* dir = opendir(directory.c_str());
    if (dir == nullptr) continue;
    while (const dirent* entry = readdir(dir)) {
      if (total >= enough_bytes) break;
      struct stat info {};
      const std::string path = directory + "/" + entry->d_name;
      if (stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
        total += static_cast<uint64_t>(info.st_blocks) * 512;  // st_blocks: 512-byte units
      }
    }
    closedir(dir);
  }
  return total;
}

DiskReserve::DiskReserve(Env& env, FreeBytesFunction free_bytes, StoreBytesFunction store_bytes,
                         uint64_t reserve_bytes)
    : env_(env),
      free_bytes_(std::move(free_bytes)),
      store_bytes_function_(std::move(store_bytes)),
      reserve_bytes_(reserve_bytes) {
  LB_CHECK(free_bytes_ != nullptr && store_bytes_function_ != nullptr);
  store_bytes_ = store_bytes_function_();
}

DiskReserve::~DiskReserve() {
  env_.CancelTimer(timer_);
}

void DiskReserve::Start(Listener listener, std::function<void()> on_check) {
  listener_ = std::move(listener);
  on_check_ = std::move(on_check);
  OnTimer();
}

void DiskReserve::OnTimer() {
  DiskFigures now = Check();
  now.checks = ++checks_;
  if (now.accepting != reported_accepting_) {
    reported_accepting_ = now.accepting;
    if (listener_) listener_(now.accepting, now);
  }
  if (on_check_) on_check_();
  timer_ = env_.StartTimer(kDiskCheckInterval, [this] { OnTimer(); });
}

bool DiskReserve::Fits(uint64_t free_bytes, uint64_t charge) const {
  if (reserve_bytes_ == 0) return true;
  return free_bytes >= charge && free_bytes - charge >= reserve_bytes_;
}

uint64_t DiskReserve::CommittedBytesLocked() const {
  if (reserve_bytes_ == 0) return 0;
  return backlog_bytes_ * kStateBytesPerAppliedByte +
         std::min(kBackgroundWriteBytesMax, store_bytes_);
}

Status DiskReserve::Admit(uint64_t first_index, size_t records, size_t payload_bytes) {
  LB_CHECK(records >= 1);
  if (writes_impossible_.load()) {
    accepting_.store(false);
    return Status::ResourceExhausted(
        "disk full: the data dir was opened read-only; new events wait for free space");
  }
  Result<uint64_t> free_bytes = free_bytes_();
  // A failed statvfs says nothing about space: let the write itself find out.
  if (!free_bytes.ok()) return Status::Ok();
  last_free_bytes_.store(*free_bytes);
  const uint64_t batch_bytes = payload_bytes + records * kLogRecordOverheadBytes;
  std::lock_guard lock(mutex_);
  // The batch's own bytes are folded by the projections too: they join the backlog's charge.
  const uint64_t charge = CommittedBytesLocked() + batch_bytes +
                          (reserve_bytes_ == 0 ? 0 : payload_bytes * kStateBytesPerAppliedByte);
  if (!Fits(*free_bytes, charge)) {
    ++refused_batches_;
    accepting_.store(false);
    return Status::ResourceExhausted(
        "disk reserve: " + std::to_string(*free_bytes) + " bytes free; a batch of " +
        std::to_string(batch_bytes) + " bytes plus " + std::to_string(charge - batch_bytes) +
        " bytes of projection and compaction writes to come would leave less than the reserve "
        "of " +
        std::to_string(reserve_bytes_));
  }
  const uint64_t last_index = first_index + records - 1;
  if (backlog_.size() >= kBacklogBatchesMax) {
    backlog_.back().first = last_index;
    backlog_.back().second += payload_bytes;
  } else {
    backlog_.emplace_back(last_index, payload_bytes);
  }
  backlog_bytes_ += payload_bytes;
  store_bytes_ += batch_bytes;
  return Status::Ok();
}

void DiskReserve::NoteApplied(uint64_t index) {
  std::lock_guard lock(mutex_);
  applied_index_ = std::max(applied_index_, index);
  while (!backlog_.empty() && backlog_.front().first <= applied_index_) {
    LB_CHECK(backlog_bytes_ >= backlog_.front().second);
    backlog_bytes_ -= backlog_.front().second;
    backlog_.pop_front();
  }
}

void DiskReserve::SetWritesImpossible(bool impossible) {
  writes_impossible_.store(impossible);
  Check();
}

DiskFigures DiskReserve::Check() {
  const uint64_t store_bytes = store_bytes_function_();
  {
    std::lock_guard lock(mutex_);
    store_bytes_ = store_bytes;
  }
  Result<uint64_t> free_bytes = free_bytes_();
  if (free_bytes.ok()) last_free_bytes_.store(*free_bytes);
  DiskFigures now = figures();
  {
    std::lock_guard lock(mutex_);
    now.accepting = !writes_impossible_.load() &&
                    Fits(now.free_bytes,
                         CommittedBytesLocked() + std::min(kAcceptMarginBytes, reserve_bytes_ / 2));
  }
  accepting_.store(now.accepting);
  return now;
}

DiskFigures DiskReserve::figures() const {
  DiskFigures figures;
  figures.free_bytes = last_free_bytes_.load();
  figures.reserve_bytes = reserve_bytes_;
  figures.accepting = accepting_.load();
  figures.checks = checks_.load();
  std::lock_guard lock(mutex_);
  figures.committed_bytes = CommittedBytesLocked();
  figures.refused_batches = refused_batches_;
  return figures;
}

}  // namespace lifeboat
