#pragma once
// The thread that keeps projections up to date (DESIGN.md "Storage": heavy work runs off the
// loop thread and posts results back; the loop never blocks on disk).
//
// NotifyCommitted(index), from any thread (the loop thread after a commit, or a Raft callback),
// wakes the worker; it calls ProjectionRunner::ApplyThrough one batch at a time and, after each,
// posts the new applied index to the loop thread through Env::Post. Modules that wait for their
// own event to be folded (webmail showing a sent mail) compare that index with theirs.
//
// Options (ProjectionWorkerOptions):
// - linger: woken by a commit, the worker may first wait this long for more to arrive, then fold
//   them all in one batch. Under load that turns one wake-up, one state write and one progress
//   post per commit round into one per linger period, at the price of that much projection lag
//   (the webmail sees new mail up to `linger` later). Commits that arrive while it lingers do not
//   wake it. Zero: no linger.
// - nice: the worker thread's niceness (setpriority(2), Linux: per thread). When the CPUs are
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
// own thread while the log's owner appends to it, which LogStore allows (log_store.h
// "Threading": Read and the index accessors are safe alongside the single writer).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

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
  // Stops and joins the thread if Stop() was not called.
  ~ProjectionWorker();
  ProjectionWorker(const ProjectionWorker&) = delete;
  ProjectionWorker& operator=(const ProjectionWorker&) = delete;

  // Starts the thread. Once.
  void Start();
  // Thread-safe. Records that the log is committed through `commit_index` (a lower index than
  // one already notified is ignored) and wakes the worker.
  void NotifyCommitted(uint64_t commit_index);
  // Asks the worker to stop after the batch in progress and joins it. Idempotent. Callbacks
  // already posted still run on the loop thread; none is posted after Stop() returns.
  void Stop();

 private:
  // Worker thread, before the first batch: applies options_.nice; a refusal is posted.
  void SetNiceness();
  void Run();

  Env& env_;
  ProjectionRunner& runner_;
  const LogStore& log_;
  AppliedCallback on_applied_;
  const ProjectionWorkerOptions options_;

  std::mutex mutex_;
  std::condition_variable wake_;
  uint64_t commit_index_ = 0;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  bool idle_ = false;          // guarded by mutex_: waiting for a commit (not lingering, working)
  bool failed_ = false;        // worker thread only
  // A commit index at which ApplyThrough made no progress (the log did not hold it yet); the
  // worker waits for a higher one. Worker thread only.
  uint64_t stalled_commit_index_ = 0;
  std::thread thread_;
};

}  // namespace lifeboat::eventlog
