#include "modules/directory/directory_sync.h"

#include <utility>

#include "modules/directory/propose_events.h"

namespace lifeboat::directory {

// Loop-thread flag: false once the DirectorySync is gone, so a late posted closure does nothing.
struct DirectorySync::Shared {
  bool alive = true;
};

DirectorySync::DirectorySync(Env& env, LdapSource& source, DirectoryView& view,
                             const DirectoryProjection& projection, eventlog::Proposer& proposer,
                             DirectorySyncOptions options)
    : env_(env),
      source_(source),
      view_(view),
      projection_(projection),
      proposer_(proposer),
      options_(std::move(options)),
      shared_(std::make_shared<Shared>()) {}

DirectorySync::~DirectorySync() {
  Stop();
  shared_->alive = false;
  if (executor_ != nullptr) executor_->Shutdown();  // a fetch in flight ends first
}

void DirectorySync::SyncNow(SyncMode mode, bool confirm_mass_deprovision,
                            std::function<void(Status)> done) {
  if (running_) {
    done(Status::FailedPrecondition("a directory sync is already running"));
    return;
  }
  running_ = true;
  if (executor_ == nullptr) executor_ = env_.NewSerialExecutor("lb-dir-sync");
  std::optional<SourceSyncInfo> last = projection_.LastSync(options_.sync.source);
  std::string cookie = last ? last->last.cookie() : "";
  SyncOptions sync_options = options_.sync;
  sync_options.confirm_mass_deprovision = confirm_mass_deprovision;
  std::shared_ptr<Shared> shared = shared_;
  executor_->Submit([this, shared, mode, cookie, sync_options, done]() mutable {
    Result<std::vector<events::Event>> events = [&]() -> Result<std::vector<events::Event>> {
      Result<SyncInput> input = source_.Fetch(mode, cookie);
      if (!input.ok()) return input.status();
      return ComputeSync(view_.Snapshot(), *input, sync_options);
    }();
    env_.Post([this, shared, events = std::move(events), done = std::move(done)]() mutable {
      if (!shared->alive) return;
      if (!events.ok()) {
        Finish(events.status(), 0, done);
        return;
      }
      Propose(std::move(events).value(), std::move(done));
    });
  });
}

// The rule of propose_events.h: the changes at once, the completion after them.
void DirectorySync::Propose(std::vector<events::Event> events, std::function<void(Status)> done) {
  uint32_t count = static_cast<uint32_t>(events.size());
  std::shared_ptr<Shared> shared = shared_;
  ProposeSyncEvents(proposer_, std::move(events),
                    [this, shared, count, done = std::move(done)](Status status) {
                      if (!shared->alive) return;
                      Finish(status, count, done);
                    });
}

void DirectorySync::Finish(const Status& status, uint32_t events,
                           const std::function<void(Status)>& done) {
  running_ = false;
  {
    std::lock_guard lock(status_mutex_);
    last_outcome_ = status.ok() ? "ok" : status.ToString();
    events_proposed_ = events;
  }
  if (done) done(status);
}

void DirectorySync::Start() {
  if (started_) return;
  started_ = true;
  ScheduleNext(Duration::zero());
}

void DirectorySync::Stop() {
  started_ = false;
  if (timer_) env_.CancelTimer(*timer_);
  timer_.reset();
}

void DirectorySync::ScheduleNext(Duration after) {
  std::shared_ptr<Shared> shared = shared_;
  timer_ = env_.StartTimer(after, [this, shared] {
    timer_.reset();
    if (!shared->alive || !started_) return;
    bool full =
        options_.full_sync_every != 0 && (periodic_count_ + 1) % options_.full_sync_every == 0;
    ++periodic_count_;
    SyncNow(full ? SyncMode::kFull : SyncMode::kIncremental, false, [this, shared](Status s) {
      if (shared->alive && started_)
        ScheduleNext(s.ok() ? options_.interval : options_.retry_interval);
    });
  });
}

DirectorySyncStatus DirectorySync::status() const {
  std::lock_guard lock(status_mutex_);
  return DirectorySyncStatus{source_.status(), last_outcome_, events_proposed_, running_};
}

}  // namespace lifeboat::directory
