#pragma once
// What keeps projections up to date, on a serial executor of its own (Env::NewSerialExecutor
// "lb-projections"; DESIGN.md "Storage": heavy work runs off the loop thread and posts results
// back; the loop never blocks on disk).
//
// NotifyCommitted(index), from any thread (the loop thread after a commit, or a Raft callback),
// submits an apply pass when none is pending; the pass calls ProjectionRunner::ApplyThrough one
// batch at a time and, after each, posts the new applied index to the loop thread through
// Env::Post. A pass that ends with more committed submits the next one at once. Modules that wait
// for their own event to be folded (webmail showing a sent mail) compare that index with theirs.
//
// Options (ProjectionWorkerOptions):
// - linger: woken by a commit while idle, the worker may first wait this long for more to arrive,
//   then fold them all in one batch. Under load that turns one wake-up, one state write and one
//   progress post per commit round into one per linger period, at the price of that much
//   projection lag (the webmail sees new mail up to `linger` later). The wait is an Env timer on
//   the loop thread (virtual time in the simulator), never a timed wait: commits that arrive
//   while it runs join the pass it then submits. Zero: no linger.
// - nice: the executor thread's niceness (setpriority(2), Linux: per thread), set by the first
//   task Start() submits; under the manual Env that would be the test's own thread, so leave it 0
//   there. When the CPUs are
//   contended, a positive value lets the threads that answer SMTP (the loop, the log commit)
//   run first: projections may lag, ingest may not. Best effort: when the kernel refuses (a
//   seccomp filter such as systemd's SystemCallFilter= answering EPERM, or a rule against the
//   requested value), the worker carries on at the niceness it inherited and posts the refusal
//   once to `on_nice_refused`, for the node to log.
//
// After an apply error the worker stops applying (projection.h: an error means the log holds
// something this version cannot fold; retrying would fail the same way), posts the error once,
// and stays idle until Stop(). The node decides what to do (alarm, rebuild with a newer version).
//
// Ownership: `env`, `runner` and `log` must outlive the worker. The worker reads `log` from its
// executor while the log's owner appends to it, which LogStore allows (log_store.h
// "Threading": Read and the index accessors are safe alongside the single writer).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "eventlog/log_store.h"
#include "eventlog/projection_runner.h"

namespace lifeboat::eventlog {

struct ProjectionWorkerOptions {
  std::chrono::microseconds linger{0};
  int nice = 0;
  // Runs on the loop thread (posted through Env::Post), at most once, when setpriority(2)
  // refused `nice`. Null: the refusal goes unreported.
  std::function<void(Status refusal)> on_nice_refused = nullptr;
};

class ProjectionWorker {
 public:
  // Runs on the loop thread (posted through Env::Post): the applied index after a batch, or the
  // error that stopped the worker.
  using AppliedCallback = std::function<void(Result<uint64_t> applied_index)>;

  ProjectionWorker(Env& env, ProjectionRunner& runner, const LogStore& log,
                   AppliedCallback on_applied, ProjectionWorkerOptions options = {});
  // Stops if Stop() was not called.
  ~ProjectionWorker();
  ProjectionWorker(const ProjectionWorker&) = delete;
  ProjectionWorker& operator=(const ProjectionWorker&) = delete;

  // Loop thread, once: makes the executor (its thread inherits this thread's scheduling and
  // seccomp attributes) and sets its niceness.
  void Start();
  // Thread-safe. Records that the log is committed through `commit_index` (a lower index than
  // one already notified is ignored) and, when idle, starts a pass (after the linger).
  void NotifyCommitted(uint64_t commit_index);
  // Loop thread. Cancels a linger, asks the pass in progress to stop after its batch and waits
  // for it (SerialExecutor::Shutdown). Idempotent. Callbacks already posted still run on the loop
  // thread; none is posted after Stop() returns.
  void Stop();

 private:
  // Executor, first task: applies options_.nice; a refusal is posted.
  void SetNiceness();
  // Executor: one ApplyThrough up to the commit index; submits the next pass if more is due.
  void Pass();
  // Guarded by mutex_: a commit is known that the runner has not applied and may apply.
  bool HasWorkLocked() const;
  // Loop thread: the linger timer, then the pass.
  void StartLinger();

  Env& env_;
  ProjectionRunner& runner_;
  const LogStore& log_;
  AppliedCallback on_applied_;
  const ProjectionWorkerOptions options_;
  std::unique_ptr<SerialExecutor> executor_;  // Start()
  // Loop thread: false once stopped, so a posted StartLinger or a timer does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::optional<TimerId> linger_timer_;  // loop thread only

  std::mutex mutex_;
  uint64_t commit_index_ = 0;   // guarded by mutex_
  uint64_t applied_index_ = 0;  // guarded by mutex_: the runner's, after the last pass
  bool stopping_ = false;       // guarded by mutex_
  bool scheduled_ = false;      // guarded by mutex_: a pass lingering, submitted or running
  bool failed_ = false;         // guarded by mutex_
  // A commit index at which ApplyThrough made no progress (the log did not hold it yet); the
  // worker waits for a higher one. Guarded by mutex_.
  uint64_t stalled_commit_index_ = 0;
};

}  // namespace lifeboat::eventlog
