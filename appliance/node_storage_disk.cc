// The storage's disk reserve and ballast (disk_reserve.h, ballast.h): what lets it start on a full
// disk, refuse new events before the disk fills, and resume by itself once space returns.
#include <cerrno>
#include <cstring>

#include "appliance/json/json_writer.h"
#include "appliance/node_storage.h"
#include "eventlog/leveldb_env.h"

namespace lifeboat {
namespace {

constexpr std::string_view kComponent = "disk";

}  // namespace

void NodeStorage::PrepareDiskForOpen() {
  const std::string& data_dir = options_.data_dir;
  if (options_.free_bytes == nullptr) {
    options_.free_bytes = [data_dir] { return FileSystemFreeBytes(data_dir); };
  }
  if (options_.store_bytes == nullptr) {
    options_.store_bytes = [store_dirs = StoreDirs()] { return AllocatedBytes(store_dirs); };
  }
  disk_reserve_ = std::make_unique<DiskReserve>(env_, options_.free_bytes, options_.store_bytes,
                                                options_.disk_reserve_bytes);
  // An injected disk holds the ballast too: nothing in a simulation touches the real files.
  ballast_ = options_.leveldb_env == nullptr
                 ? std::make_unique<Ballast>(data_dir, options_.disk_ballast_bytes)
                 : std::make_unique<Ballast>(data_dir, options_.disk_ballast_bytes,
                                             options_.leveldb_env, options_.sync_directory);
  const std::vector<std::string> store_dirs = StoreDirs();
  Result<uint64_t> free_bytes = options_.free_bytes();
  if (!free_bytes.ok()) return;  // opening will say what is wrong with the data dir
  const uint64_t needed = BytesToOpenLevelDbs(*BaseLevelDbEnv(), store_dirs);
  if (*free_bytes >= needed || !ballast_->present()) return;
  Status released = ballast_->Release();
  if (!released.ok()) {
    logger_.Error(kComponent, "disk full at start and the ballast cannot be released",
                  {{"free_bytes", *free_bytes}, {"error", released.ToString()}});
    return;
  }
  ballast_released_at_start_ = true;
  logger_.Warn(kComponent,
               "disk full at start: released the ballast to open the data dir; new mail is "
               "refused (452 4.3.1) until space returns",
               {{"free_bytes", *free_bytes},
                {"needed_to_open_bytes", needed},
                {"ballast_bytes", ballast_->bytes()}});
}

void NodeStorage::StartDiskChecks() {
  disk_reserve_->Start(
      [this](bool accepting, const DiskFigures& figures) { OnDiskAccepting(accepting, figures); },
      [this] { KeepBallast(); });
  // The first check ran inside Start: say so when the node comes up refusing.
  const DiskFigures figures = disk_reserve_->figures();
  if (!figures.accepting) OnDiskAccepting(false, figures);
}

void NodeStorage::OnDiskAccepting(bool accepting, const DiskFigures& figures) {
  const std::initializer_list<LogField> fields = {
      {"free_bytes", figures.free_bytes},
      {"reserve_bytes", figures.reserve_bytes},
      {"pending_writes_bytes", figures.committed_bytes}};
  if (accepting) {
    logger_.Info(kComponent, "space returned above the reserve: accepting new mail and events",
                 fields);
  } else {
    logger_.Warn(kComponent,
                 "disk below its reserve: refusing new mail (452 4.3.1) and events; reads are "
                 "served",
                 fields);
  }
  if (disk_changed_) disk_changed_();
}

// The ballast comes back only when it fits above the reserve with room for a full batch, so that
// re-creating it never makes the node refuse mail it was accepting.
void NodeStorage::KeepBallast() {
  if (shut_down_) return;
  MaybeRequestReopen();
  if (ballast_->bytes() == 0 || ballast_->present()) return;
  const DiskFigures figures = disk_reserve_->figures();
  if (!figures.accepting) return;
  const uint64_t wanted =
      figures.reserve_bytes + figures.committed_bytes + kAcceptMarginBytes + ballast_->bytes();
  if (figures.free_bytes < wanted) return;
  Status created = ballast_->Create();
  if (!created.ok()) {
    logger_.Warn(kComponent, "cannot create the ballast", {{"error", created.ToString()}});
    return;
  }
  logger_.Info(kComponent, ballast_released_at_start_ ? "ballast re-created" : "ballast created",
               {{"path", ballast_->path()}, {"bytes", ballast_->bytes()}});
  ballast_released_at_start_ = false;
  disk_reserve_->Check();  // the ballast took its space: the next batch must see it
}

bool NodeStorage::NoSpaceToOpen(const Status& failure) const {
  if (failure.code() != StatusCode::kIoError) return false;
  if (failure.message().find(std::strerror(ENOSPC)) != std::string::npos) return true;
  Result<uint64_t> free_bytes = options_.free_bytes();
  return free_bytes.ok() && *free_bytes < BytesToOpenLevelDbs(*BaseLevelDbEnv(), StoreDirs());
}

leveldb::Env* NodeStorage::EnterReadOnlyMode(const Status& failure) {
  if (read_only_env_ == nullptr) {
    read_only_env_ = std::make_unique<eventlog::ReadOnlyOverlayEnv>(BaseLevelDbEnv());
    disk_reserve_->SetWritesImpossible(true);
    logger_.Warn(kComponent,
                 "no space to open the data dir for writing: opening it read-only (reads are "
                 "served, new mail gets 452 4.3.1) until space returns",
                 {{"error", failure.ToString()}});
  }
  return read_only_env_.get();
}

// Reopening needs what opening needs, and then the reserve, so that the writable node does not
// start below it at once.
void NodeStorage::MaybeRequestReopen() {
  if (read_only_env_ == nullptr || reopen_requested_ || reopen_ == nullptr) return;
  Result<uint64_t> free_bytes = options_.free_bytes();
  const uint64_t needed =
      BytesToOpenLevelDbs(*BaseLevelDbEnv(), StoreDirs()) + disk_reserve_->figures().reserve_bytes;
  if (!free_bytes.ok() || *free_bytes < needed) return;
  reopen_requested_ = true;
  logger_.Info(kComponent, "space returned: reopening the data dir for writing",
               {{"free_bytes", *free_bytes}, {"needed_bytes", needed}});
  reopen_();
}

std::string NodeStorage::DiskJson() const {
  const DiskFigures figures = disk_reserve_->figures();
  json::ObjectWriter writer;
  writer.Bool("accepting", figures.accepting)
      .Uint("free_bytes", figures.free_bytes)
      .Uint("reserve_bytes", figures.reserve_bytes)
      .Uint("pending_writes_bytes", figures.committed_bytes)
      .Uint("refused_batches", figures.refused_batches)
      .Uint("checks", figures.checks)
      .Bool("ballast_present", ballast_->present())
      .Uint("ballast_bytes", ballast_->bytes())
      .Bool("ballast_released_at_start", ballast_released_at_start_)
      .Bool("read_only_open", read_only_env_ != nullptr);
  if (!figures.accepting) {
    writer.String("refusing_because",
                  disk_reserve_->writes_impossible()
                      ? "the data dir is open read-only: no space to open it for writing"
                      : "free space is below the reserve plus writes still to come");
  }
  return writer.Finish();
}

}  // namespace lifeboat
