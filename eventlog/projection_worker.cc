#include "eventlog/projection_worker.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "appliance/env/check.h"
#include "appliance/env/thread_name.h"

namespace lifeboat::eventlog {

ProjectionWorker::ProjectionWorker(Env& env, ProjectionRunner& runner, const LogStore& log,
                                   AppliedCallback on_applied, ProjectionWorkerOptions options)
    : env_(env), runner_(runner), log_(log), on_applied_(std::move(on_applied)), options_(options) {
  LB_CHECK(on_applied_ != nullptr);
  LB_CHECK(options_.linger >= std::chrono::microseconds::zero());
}

ProjectionWorker::~ProjectionWorker() {
  Stop();
}

void ProjectionWorker::Start() {
  LB_CHECK(!thread_.joinable());
  thread_ = std::thread([this] {
    NameThisThread("lb-projections");
    SetNiceness();
    Run();
  });
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

void ProjectionWorker::NotifyCommitted(uint64_t commit_index) {
  bool idle;
  {
    std::lock_guard lock(mutex_);
    commit_index_ = std::max(commit_index_, commit_index);
    idle = idle_;
  }
  // A working or lingering worker reads commit_index_ when it is done: waking it costs a
  // context switch for nothing.
  if (idle) wake_.notify_one();
}

void ProjectionWorker::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ProjectionWorker::Run() {
  for (;;) {
    uint64_t commit_index = 0;
    {
      std::unique_lock lock(mutex_);
      auto has_work = [this] {
        return !failed_ && commit_index_ > runner_.applied_index() &&
               commit_index_ > stalled_commit_index_;
      };
      if (!has_work()) {
        idle_ = true;
        wake_.wait(lock, [&] { return stopping_ || has_work(); });
        idle_ = false;
        if (!stopping_ && options_.linger > std::chrono::microseconds::zero()) {
          // Stop() still wakes it: it notifies whatever the worker is doing.
          wake_.wait_for(lock, options_.linger, [this] { return stopping_; });
        }
      }
      if (stopping_) return;
      commit_index = commit_index_;
    }
    // Progress is posted after every batch, so the loop hears of it during a long catch-up
    // (a rebuild, a follower far behind), and Stop() waits for at most one batch.
    AppliedCallback callback = on_applied_;  // the closures must not touch `this`: it may be gone
    uint64_t applied_before = runner_.applied_index();
    Status status = runner_.ApplyThrough(log_, commit_index, [&](uint64_t applied) {
      env_.Post([callback, applied] { callback(applied); });
      std::lock_guard lock(mutex_);
      return !stopping_;
    });
    if (!status.ok()) {
      failed_ = true;
      env_.Post([callback, status] { callback(status); });
      continue;
    }
    if (runner_.applied_index() == applied_before) {
      // The log does not hold the notified index yet (ApplyThrough never reads past its end):
      // wait for a higher notification instead of spinning.
      stalled_commit_index_ = commit_index;
    }
  }
}

}  // namespace lifeboat::eventlog
