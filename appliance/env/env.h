#pragma once
// The world interface of a node (DESIGN.md "Determinism"; LevelDB include/leveldb/env.h,
// TigerBeetle src/time.zig TimeOS/TimeSim).
//
// Every core that needs time, timers, randomness, to hand work back to the loop thread or to run
// work off it gets an Env&. Production binds it to libevent and POSIX
// (appliance/env/libevent_env.h); tests and the simulator bind it to a manual clock
// (simulator/manual_env.h). Nothing outside the Env implementations may read a clock or a random
// source: tests/tidy/determinism_check enforces it.
//
// Drivers that need the network get it from the same Env: network() (appliance/env/network.h).
//
// Threading: MonotonicNow(), WallNow(), Post(), RunOffLoop() and NewSerialExecutor() are
// thread-safe (storage threads time their fsyncs and post results back); every other method is
// called on the loop thread only. Nothing outside the Env implementations starts a thread or waits
// with a timeout (tests/tidy/determinism_check enforces it): work that must leave the loop goes to
// RunOffLoop or a SerialExecutor, and a simulator runs those in virtual time. Callbacks
// (timers, posted closures) always run on the loop thread. Two timers with the same deadline run in
// an unspecified order: never rely on it (STYLE.md rule 3).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace lifeboat {

class Network;

// Monotonic time since an arbitrary start. Only differences mean anything.
using MonoTime = std::chrono::nanoseconds;
// Wall-clock time since the Unix epoch, in microseconds. Used for event timestamps and display,
// never for timeouts (it can jump).
using WallTime = std::chrono::microseconds;
using Duration = std::chrono::nanoseconds;

using TimerId = uint64_t;

// Ordered work off the loop thread: what a storage thread does (the log's group commit, the
// projection fold, the WAL spare filler). Production: one named thread per executor; the manual
// Env: tasks queue until the test or simulator runs them.
class SerialExecutor {
 public:
  // Shuts down (drains) if Shutdown() was not called.
  virtual ~SerialExecutor() = default;

  // Thread-safe, also from one of this executor's tasks. `task` runs after every task submitted
  // before it, never at the same time as another task of this executor, never on the loop
  // thread. Submitting after Shutdown() returned is a programmer error.
  virtual void Submit(std::function<void()> task) = 0;
  // Not from one of its own tasks. Returns once every task submitted before it (and every task
  // those submit) has run; nothing of this executor runs afterwards. What the tasks posted runs
  // when the loop next runs posted closures. Idempotent.
  virtual void Shutdown() = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  virtual MonoTime MonotonicNow() = 0;
  virtual WallTime WallNow() = 0;

  // Runs `callback` on the loop thread once `after` has elapsed. The id stays valid until the
  // callback starts or CancelTimer is called.
  virtual TimerId StartTimer(Duration after, std::function<void()> callback) = 0;
  // Cancelling a timer that already fired or was cancelled is a no-op.
  virtual void CancelTimer(TimerId id) = 0;

  // 64 uniformly random bits. Production: a CSPRNG; simulator: a seeded generator.
  virtual uint64_t RandomU64() = 0;

  // Thread-safe: runs `closure` on the loop thread, in the order posted from any one thread.
  // This is how storage and worker threads hand results back (the loop never waits on them).
  virtual void Post(std::function<void()> closure) = 0;

  // Loop thread only: the node's network (appliance/env/network.h says why it lives here). The
  // default is a network with nothing on it, for Envs that only keep time: every Listen, Connect
  // and LoadServerTls fails with kUnavailable. Owned by the Env.
  virtual Network& network();
  // Thread-safe: runs `work` on a worker thread (hashing, MIME parsing: CPU work that must not
  // hold up the loop), then `then_on_loop` (if not null) on the loop thread as if posted by Post.
  // Work items may run at the same time and in any order; they must own what they touch, as
  // nothing waits for them (use a SerialExecutor, which drains, for work on borrowed objects).
  virtual void RunOffLoop(std::function<void()> work, std::function<void()> then_on_loop) = 0;
  // Thread-safe: a new executor for ordered work. `name` labels its thread (at most 15 bytes are
  // kept: thread_name.h). The executor must not outlive the Env.
  virtual std::unique_ptr<SerialExecutor> NewSerialExecutor(std::string name) = 0;
};

}  // namespace lifeboat
