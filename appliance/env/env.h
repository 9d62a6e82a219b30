#pragma once
// The world interface of a node (DESIGN.md "Determinism"; LevelDB include/leveldb/env.h,
// TigerBeetle src/time.zig TimeOS/TimeSim).
//
// Every core that needs time, timers, randomness or to hand work back to the loop thread gets an
// Env&. Production binds it to libevent and POSIX (appliance/env/libevent_env.h); tests and the
// simulator bind it to a manual clock (simulator/manual_env.h). Nothing outside the Env
// implementations may read a clock or a random source: tests/tidy/determinism_check enforces it.
//
// Drivers that need the network get it from the same Env: network() (appliance/env/network.h).
//
// Threading: MonotonicNow(), WallNow() and Post() are thread-safe (storage threads time their
// fsyncs and post results back); every other method is called on the loop thread only. Callbacks
// (timers, posted closures) always run on the loop thread. Two timers with the same deadline run in
// an unspecified order: never rely on it (STYLE.md rule 3).

#include <chrono>
#include <cstdint>
#include <functional>

namespace lifeboat {

class Network;

// Monotonic time since an arbitrary start. Only differences mean anything.
using MonoTime = std::chrono::nanoseconds;
// Wall-clock time since the Unix epoch, in microseconds. Used for event timestamps and display,
// never for timeouts (it can jump).
using WallTime = std::chrono::microseconds;
using Duration = std::chrono::nanoseconds;

using TimerId = uint64_t;

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
};

}  // namespace lifeboat
