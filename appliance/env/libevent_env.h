#pragma once
// The production Env: a libevent event_base on the loop thread (DESIGN.md "The shape": one
// process per node runs a libevent loop). Envoy source/common/event/dispatcher_impl.h is the
// model: one dispatcher owns the base, timers and the cross-thread post queue.
//
// Only appliance/ sees event_base (STYLE.md rule 3): the network (appliance/net/, reached as
// network()) and the HTTP driver get it from base(); cores only ever see the Env interface.
//
// Work off the loop runs on real named threads (thread_workers.h): a pool of up to
// kWorkerThreadsMax "lb-worker-N" threads for RunOffLoop, one thread per SerialExecutor.
//
// Threading: Create() and Run() on the thread that becomes the loop thread. MonotonicNow,
// WallNow, RandomU64, Post, RunOffLoop, NewSerialExecutor and Stop are thread-safe; StartTimer,
// CancelTimer, OnSignal and network() are loop thread only.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "appliance/env/thread_workers.h"

struct event_base;
struct event;

namespace lifeboat {

namespace net {
class LibeventNetwork;
}

class LibeventEnv : public Env {
 public:
  static Result<std::unique_ptr<LibeventEnv>> Create();
  ~LibeventEnv() override;
  LibeventEnv(const LibeventEnv&) = delete;
  LibeventEnv& operator=(const LibeventEnv&) = delete;

  MonoTime MonotonicNow() override;
  WallTime WallNow() override;
  TimerId StartTimer(Duration after, std::function<void()> callback) override;
  void CancelTimer(TimerId id) override;
  uint64_t RandomU64() override;
  void Post(std::function<void()> closure) override;
  // TCP on this loop, OpenSSL for TLS (appliance/net/libevent_network.h).
  Network& network() override;
  void RunOffLoop(std::function<void()> work, std::function<void()> then_on_loop) override;
  std::unique_ptr<SerialExecutor> NewSerialExecutor(std::string name) override;

  // Runs the loop until Stop() is called. Posted closures and timers run inside.
  Status Run();
  // Thread-safe: Run() returns once the callback in progress finishes. Closures already posted
  // stay queued; RunPending() runs them.
  void Stop();
  // Runs the posted closures and expired timers without blocking (the shutdown path drains the
  // callbacks a storage thread posted while the loop was stopping).
  void RunPending();
  // Loop thread only: calls `handler` on the loop thread each time `signal_number` arrives
  // (libevent's self-pipe: the handler runs outside signal context, so it may do anything).
  Status OnSignal(int signal_number, std::function<void()> handler);

  // For appliance/ drivers (evhttp, sockets) only.
  event_base* base() { return base_; }
  size_t pending_timers() const { return timers_.size(); }

 private:
  struct Timer;
  struct Signal;
  LibeventEnv() = default;
  static void OnTimer(int fd, short what, void* arg);
  static void OnPosted(int fd, short what, void* arg);
  static void OnSignalEvent(int fd, short what, void* arg);
  void RunPosted();

  event_base* base_ = nullptr;
  event* posted_event_ = nullptr;
  TimerId next_timer_id_ = 1;
  std::unordered_map<TimerId, std::unique_ptr<Timer>> timers_;
  std::vector<std::unique_ptr<Signal>> signals_;
  std::mutex posted_mutex_;
  std::deque<std::function<void()>> posted_;       // guarded by posted_mutex_
  std::unique_ptr<net::LibeventNetwork> network_;  // uses base_: destroyed before it is freed
  // Reset first by the destructor: its threads post into posted_ until joined.
  std::unique_ptr<ThreadWorkerPool> workers_ =
      std::make_unique<ThreadWorkerPool>(*this, kWorkerThreadsMax, "lb-worker");
};

}  // namespace lifeboat
