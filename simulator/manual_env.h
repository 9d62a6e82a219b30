#pragma once
// An Env on a manual clock: time moves only when a test or the simulator says so, timers fire in
// deadline order during Advance(), and randomness comes from a seeded generator. One seed and
// one sequence of calls replay exactly (DESIGN.md "Determinism"; TigerBeetle TimeSim).
//
// Post() is thread-safe like the production Env: closures queue until RunPosted() or Advance()
// runs them on the caller's thread, which plays the loop thread.
//
// No thread is ever started: RunOffLoop work and SerialExecutor tasks queue (thread-safe) in one
// FIFO until RunWorkers(), RunUntilIdle() or Advance() runs them on the caller's thread, one at a
// time in the order queued; an executor's Shutdown() runs its own queued tasks there and then. So
// the interleaving of the loop and the "storage threads" is whatever the test or the simulator
// drives, and replays exactly.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <utility>
#include <vector>

#include "appliance/env/env.h"

namespace lifeboat::simulator {

class ManualEnv : public Env {
 public:
  // `wall_start`: the wall clock at monotonic time zero.
  explicit ManualEnv(uint64_t seed, WallTime wall_start = WallTime(1'700'000'000'000'000));

  MonoTime MonotonicNow() override;
  WallTime WallNow() override;
  TimerId StartTimer(Duration after, std::function<void()> callback) override;
  void CancelTimer(TimerId id) override;
  uint64_t RandomU64() override;
  void Post(std::function<void()> closure) override;
  void RunOffLoop(std::function<void()> work, std::function<void()> then_on_loop) override;
  std::unique_ptr<SerialExecutor> NewSerialExecutor(std::string name) override;

  // Runs posted closures (including any they post) until none is left. Returns how many ran.
  size_t RunPosted();
  // Runs queued off-loop work and executor tasks (including any they queue) until none is left;
  // what they post waits for RunPosted(). Returns how many ran.
  size_t RunWorkers();
  // RunPosted() and RunWorkers() in turn until neither finds anything. Returns how many ran.
  size_t RunUntilIdle();
  // Off-loop work and executor tasks queued and not yet run.
  size_t pending_work() const;
  // Blocks the calling thread until a closure is queued (another thread posted) or `bound` of
  // real time passes; true if one is queued. For tests whose workers really run on threads.
  bool WaitForPosted(std::chrono::milliseconds bound);
  // Moves time forward by `by`, firing every timer whose deadline falls within, in deadline order
  // (ties: the order they were started), running posted closures and queued work (RunUntilIdle)
  // between timers.
  void Advance(Duration by);
  // Advances to the next timer's deadline and fires it; false when no timer is pending.
  bool FireNextTimer();
  size_t pending_timers() const { return timers_.size(); }

  // The queue of off-loop work, shared with the executors (which may outlive nothing but must
  // not dangle while a test tears down in any order).
  struct WorkQueue;

 private:
  MonoTime now_{0};
  WallTime wall_start_;
  TimerId next_timer_id_ = 1;
  // (deadline, id) -> callback; ids grow, so ties keep start order (deterministic, but callers
  // must not rely on it: the production Env gives no such promise).
  std::map<std::pair<MonoTime, TimerId>, std::function<void()>> timers_;
  std::mt19937_64 random_;
  std::mutex posted_mutex_;
  std::condition_variable posted_changed_;
  std::vector<std::function<void()>> posted_;
  std::shared_ptr<WorkQueue> work_;
};

}  // namespace lifeboat::simulator
