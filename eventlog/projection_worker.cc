#include "eventlog/projection_worker.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "appliance/env/check.h"

namespace lifeboat::eventlog {

ProjectionWorker::ProjectionWorker(Env& env, ProjectionRunner& runner, const LogStore& log,
                                   AppliedCallback on_applied, ProjectionWorkerOptions options)
    : env_(env),
      runner_(runner),
      log_(log),
      on_applied_(std::move(on_applied)),
      options_(options),
      applied_index_(runner.applied_index()) {
  LB_CHECK(on_applied_ != nullptr);
  LB_CHECK(options_.linger >= std::chrono::microseconds::zero());
}

ProjectionWorker::~ProjectionWorker() {
  Stop();
}

void ProjectionWorker::Start() {
  std::lock_guard lock(mutex_);
  LB_CHECK(executor_ == nullptr && !stopping_);
  executor_ = env_.NewSerialExecutor("lb-projections");
  executor_->Submit([this] { SetNiceness(); });
  if (HasWorkLocked()) {  // notified before the start
    scheduled_ = true;
    executor_->Submit([this] { Pass(); });
  }
}

void ProjectionWorker::SetNiceness() {
  if (options_.nice == 0) return;
  // Linux: PRIO_PROCESS with a thread id sets that thread's niceness only (setpriority(2) BUGS).
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), options_.nice) == 0) return;
  const int error = errno;
  if (options_.on_nice_refused == nullptr) return;
  Status refusal = Status::IoError("setpriority(" + std::to_string(options_.nice) +
                                   ") for the projection thread: " + std::strerror(error));
  env_.Post([callback = options_.on_nice_refused, refusal] { callback(refusal); });
}

bool ProjectionWorker::HasWorkLocked() const {
  return !failed_ && commit_index_ > applied_index_ && commit_index_ > stalled_commit_index_;
}

void ProjectionWorker::NotifyCommitted(uint64_t commit_index) {
  std::lock_guard lock(mutex_);
  commit_index_ = std::max(commit_index_, commit_index);
  // A pending pass reads commit_index_ when it starts or ends: no second one.
  if (executor_ == nullptr || stopping_ || scheduled_ || !HasWorkLocked()) return;
  scheduled_ = true;
  if (options_.linger > std::chrono::microseconds::zero()) {
    // Timers belong to the loop thread, and this may be another one.
    env_.Post([this, alive = alive_] {
      if (*alive) StartLinger();
    });
    return;
  }
  // Under the lock: Stop() sets stopping_ under it before it shuts the executor down.
  executor_->Submit([this] { Pass(); });
}

void ProjectionWorker::StartLinger() {
  linger_timer_ = env_.StartTimer(options_.linger, [this, alive = alive_] {
    if (!*alive) return;
    linger_timer_.reset();
    std::lock_guard lock(mutex_);
    if (!stopping_) executor_->Submit([this] { Pass(); });
  });
}

void ProjectionWorker::Stop() {
  *alive_ = false;
  if (linger_timer_.has_value()) env_.CancelTimer(*linger_timer_);
  linger_timer_.reset();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  // Not under the lock: the manual Env runs the executor's tasks right here.
  if (executor_ != nullptr) executor_->Shutdown();
}

void ProjectionWorker::Pass() {
  uint64_t commit_index = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      scheduled_ = false;
      return;
    }
    commit_index = commit_index_;
  }
  // Progress is posted after every batch, so the loop hears of it during a long catch-up
  // (a rebuild, a follower far behind), and Stop() waits for at most one batch.
  AppliedCallback callback = on_applied_;  // the closures must not touch `this`: it may be gone
  const uint64_t applied_before = runner_.applied_index();
  Status status = runner_.ApplyThrough(log_, commit_index, [&](uint64_t applied) {
    env_.Post([callback, applied] { callback(applied); });
    std::lock_guard lock(mutex_);
    return !stopping_;
  });
  std::lock_guard lock(mutex_);
  applied_index_ = runner_.applied_index();
  if (!status.ok()) {
    failed_ = true;
    env_.Post([callback, status] { callback(status); });
  } else if (applied_index_ == applied_before) {
    // The log does not hold the notified index yet (ApplyThrough never reads past its end):
    // wait for a higher notification instead of spinning.
    stalled_commit_index_ = commit_index;
  }
  // Commits that arrived during the pass are folded at once: lingering is for an idle worker.
  if (!stopping_ && HasWorkLocked()) {
    executor_->Submit([this] { Pass(); });
  } else {
    scheduled_ = false;
  }
}

}  // namespace lifeboat::eventlog
