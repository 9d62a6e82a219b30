#include "appliance/env/libevent_env.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <sys/random.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include "appliance/env/check.h"
#include "appliance/net/libevent_network.h"

namespace lifeboat {

struct LibeventEnv::Timer {
  LibeventEnv* env = nullptr;
  TimerId id = 0;
  event* ev = nullptr;
  MonoTime deadline{};  // on MonotonicNow's clock
  std::function<void()> callback;
};

struct LibeventEnv::Signal {
  event* ev = nullptr;
  std::function<void()> handler;
};

namespace {

// libevent must be told to lock before the first event_base exists, or event_active from a
// storage thread races the loop (libevent book, "Locks and threading").
Status EnableLibeventThreads() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] { result = evthread_use_pthreads(); });
  if (result != 0) return Status::IoError("libevent: evthread_use_pthreads failed");
  return Status::Ok();
}

std::chrono::nanoseconds ReadClock(clockid_t clock) {
  timespec now{};
  LB_CHECK(clock_gettime(clock, &now) == 0);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

timeval ToTimeval(Duration after) {
  if (after < Duration::zero()) after = Duration::zero();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(after).count();
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(micros / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(micros % 1'000'000);
  return tv;
}

}  // namespace

Result<std::unique_ptr<LibeventEnv>> LibeventEnv::Create() {
  LB_RETURN_IF_ERROR(EnableLibeventThreads());
  std::unique_ptr<LibeventEnv> env(new LibeventEnv());
  env->base_ = event_base_new();
  if (env->base_ == nullptr) return Status::IoError("libevent: event_base_new failed");
  env->posted_event_ = event_new(env->base_, -1, 0, &LibeventEnv::OnPosted, env.get());
  if (env->posted_event_ == nullptr) return Status::IoError("libevent: event_new failed");
  env->network_ = std::make_unique<net::LibeventNetwork>(env->base_);
  return env;
}

LibeventEnv::~LibeventEnv() {
  workers_.reset();  // runs the queued work; its continuations stay queued, unrun
  network_.reset();
  for (auto& [id, timer] : timers_) event_free(timer->ev);
  timers_.clear();
  for (auto& signal : signals_) event_free(signal->ev);
  signals_.clear();
  if (posted_event_ != nullptr) event_free(posted_event_);
  if (base_ != nullptr) event_base_free(base_);
}

Network& LibeventEnv::network() {
  return *network_;
}

MonoTime LibeventEnv::MonotonicNow() {
  return ReadClock(CLOCK_MONOTONIC);
}

WallTime LibeventEnv::WallNow() {
  return std::chrono::duration_cast<WallTime>(ReadClock(CLOCK_REALTIME));
}

TimerId LibeventEnv::StartTimer(Duration after, std::function<void()> callback) {
  LB_CHECK(after >= Duration::zero());
  auto timer = std::make_unique<Timer>();
  timer->env = this;
  timer->id = next_timer_id_++;
  timer->callback = std::move(callback);
  timer->deadline = MonotonicNow() + after;
  timer->ev = evtimer_new(base_, &LibeventEnv::OnTimer, timer.get());
  LB_CHECK(timer->ev != nullptr);
  timeval tv = ToTimeval(after);
  LB_CHECK(evtimer_add(timer->ev, &tv) == 0);
  TimerId id = timer->id;
  timers_.emplace(id, std::move(timer));
  return id;
}

void LibeventEnv::CancelTimer(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  event_free(it->second->ev);
  timers_.erase(it);
}

void LibeventEnv::OnTimer(int, short, void* arg) {
  auto* timer = static_cast<Timer*>(arg);
  LibeventEnv* env = timer->env;
  auto it = env->timers_.find(timer->id);
  LB_CHECK(it != env->timers_.end());
  // libevent reads CLOCK_MONOTONIC_COARSE (one jiffy, 1-4 ms) unless the base asks for
  // EVENT_BASE_FLAG_PRECISE_TIMER, which on Linux costs a timerfd_settime(2) per loop turn. So a
  // timer may fire up to a jiffy before `after` has passed on MonotonicNow's clock; env.h
  // promises "once `after` has elapsed", so the early one waits out the rest.
  const MonoTime now = env->MonotonicNow();
  if (now < timer->deadline) {
    timeval rest = ToTimeval(timer->deadline - now);
    LB_CHECK(evtimer_add(timer->ev, &rest) == 0);
    return;
  }
  // The id is invalid from here on (env.h): take the callback out before running it, so the
  // callback may start or cancel timers freely.
  std::unique_ptr<Timer> owned = std::move(it->second);
  env->timers_.erase(it);
  std::function<void()> callback = std::move(owned->callback);
  event_free(owned->ev);
  owned.reset();
  callback();
}

// Values drawn from one getrandom(2) call: a mail id per message would otherwise cost a system
// call each. Per thread, so no lock; the kernel CSPRNG's output is as good in bulk.
constexpr size_t kRandomValuesPerRefill = 64;

uint64_t LibeventEnv::RandomU64() {
  thread_local uint64_t values[kRandomValuesPerRefill];
  thread_local size_t remaining = 0;
  if (remaining == 0) {
    auto* bytes = reinterpret_cast<unsigned char*>(values);
    size_t filled = 0;
    while (filled < sizeof(values)) {
      // getrandom(2) blocks only until the kernel CSPRNG is seeded once at boot; up to 256
      // bytes it returns them all at once, more may come in parts.
      ssize_t n = getrandom(bytes + filled, sizeof(values) - filled, 0);
      if (n < 0 && errno == EINTR) continue;
      LB_CHECK(n > 0);
      filled += static_cast<size_t>(n);
    }
    remaining = kRandomValuesPerRefill;
  }
  return values[--remaining];
}

void LibeventEnv::Post(std::function<void()> closure) {
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    posted_.push_back(std::move(closure));
  }
  // Thread-safe because EnableLibeventThreads ran before the base was made.
  event_active(posted_event_, 0, 0);
}

void LibeventEnv::RunOffLoop(std::function<void()> work, std::function<void()> then_on_loop) {
  workers_->Run(std::move(work), std::move(then_on_loop));
}

std::unique_ptr<SerialExecutor> LibeventEnv::NewSerialExecutor(std::string name) {
  return std::make_unique<ThreadSerialExecutor>(std::move(name));
}

void LibeventEnv::OnPosted(int, short, void* arg) {
  static_cast<LibeventEnv*>(arg)->RunPosted();
}

void LibeventEnv::RunPosted() {
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    batch.swap(posted_);
  }
  for (auto& closure : batch) closure();
}

Status LibeventEnv::Run() {
  // EVLOOP_NO_EXIT_ON_EMPTY: an idle node still waits for posts and signals.
  if (event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY) < 0) {
    return Status::IoError("libevent: event_base_loop failed");
  }
  return Status::Ok();
}

void LibeventEnv::Stop() {
  event_base_loopbreak(base_);
}

void LibeventEnv::RunPending() {
  event_base_loop(base_, EVLOOP_NONBLOCK);
  RunPosted();
}

Status LibeventEnv::OnSignal(int signal_number, std::function<void()> handler) {
  auto signal = std::make_unique<Signal>();
  signal->handler = std::move(handler);
  signal->ev = evsignal_new(base_, signal_number, &LibeventEnv::OnSignalEvent, signal.get());
  if (signal->ev == nullptr || evsignal_add(signal->ev, nullptr) != 0) {
    if (signal->ev != nullptr) event_free(signal->ev);
    return Status::IoError("libevent: cannot watch signal " + std::to_string(signal_number));
  }
  signals_.push_back(std::move(signal));
  return Status::Ok();
}

void LibeventEnv::OnSignalEvent(int, short, void* arg) {
  static_cast<Signal*>(arg)->handler();
}

}  // namespace lifeboat
