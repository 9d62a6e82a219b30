#pragma once
// The thread half of the production Env: SerialExecutor and the RunOffLoop worker pool on real,
// named threads (thread_name.h, so `top -H` shows which one is busy). LibeventEnv owns one pool
// and hands out executors; tests whose storage work must really run beside the test thread (a
// sync held in the fault-injection disk while the test appends) use them under a ManualEnv
// clock.
//
// Only the Env implementations may start threads (tests/tidy/determinism_check.sh): this file
// and libevent_env.* for production, simulator/manual_env.* for the simulator.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "appliance/env/env.h"

namespace lifeboat {

// One thread, started by the constructor (so it inherits the creator's scheduling attributes and
// seccomp filter), running tasks in submission order.
class ThreadSerialExecutor final : public SerialExecutor {
 public:
  explicit ThreadSerialExecutor(std::string name);
  ~ThreadSerialExecutor() override;
  ThreadSerialExecutor(const ThreadSerialExecutor&) = delete;
  ThreadSerialExecutor& operator=(const ThreadSerialExecutor&) = delete;

  void Submit(std::function<void()> task) override;
  void Shutdown() override;

 private:
  void Run();

  const std::string name_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> tasks_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  bool stopped_ = false;                     // guarded by mutex_: the thread has exited
  std::thread thread_;
};

// Up to `threads_max` threads named "<prefix>-<n>", started on first use; each runs work items
// from one shared queue and posts the continuation through `post_to`.
class ThreadWorkerPool {
 public:
  ThreadWorkerPool(Env& post_to, size_t threads_max, std::string name_prefix);
  // Runs the work already queued, then joins. Its continuations are posted to `post_to`, which
  // must still accept posts.
  ~ThreadWorkerPool();
  ThreadWorkerPool(const ThreadWorkerPool&) = delete;
  ThreadWorkerPool& operator=(const ThreadWorkerPool&) = delete;

  // Thread-safe.
  void Run(std::function<void()> work, std::function<void()> then_on_loop);

 private:
  struct Item {
    std::function<void()> work;
    std::function<void()> then_on_loop;
  };
  void WorkerLoop();

  Env& post_to_;
  const size_t threads_max_;
  const std::string name_prefix_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Item> items_;            // guarded by mutex_
  size_t idle_ = 0;                   // guarded by mutex_: threads waiting for an item
  bool stopping_ = false;             // guarded by mutex_
  std::vector<std::thread> threads_;  // guarded by mutex_
};

// Worker threads for the pool of a production node: hashing and parsing are CPU work, and the
// loop and the storage threads need cores too.
inline constexpr size_t kWorkerThreadsMax = 4;

}  // namespace lifeboat
