#include "simulator/manual_env.h"

#include "appliance/env/check.h"

namespace lifeboat::simulator {

ManualEnv::ManualEnv(uint64_t seed, WallTime wall_start) : wall_start_(wall_start), random_(seed) {}

MonoTime ManualEnv::MonotonicNow() {
  return now_;
}

WallTime ManualEnv::WallNow() {
  return wall_start_ + std::chrono::duration_cast<WallTime>(now_);
}

TimerId ManualEnv::StartTimer(Duration after, std::function<void()> callback) {
  LB_CHECK(after >= Duration::zero());
  TimerId id = next_timer_id_++;
  timers_.emplace(std::make_pair(now_ + after, id), std::move(callback));
  return id;
}

void ManualEnv::CancelTimer(TimerId id) {
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->first.second == id) {
      timers_.erase(it);
      return;
    }
  }
}

uint64_t ManualEnv::RandomU64() {
  return random_();
}

void ManualEnv::Post(std::function<void()> closure) {
  {
    std::lock_guard lock(posted_mutex_);
    posted_.push_back(std::move(closure));
  }
  posted_changed_.notify_all();
}

bool ManualEnv::WaitForPosted(std::chrono::milliseconds bound) {
  std::unique_lock lock(posted_mutex_);
  return posted_changed_.wait_for(lock, bound, [this] { return !posted_.empty(); });
}

size_t ManualEnv::RunPosted() {
  size_t ran = 0;
  for (;;) {
    std::vector<std::function<void()>> batch;
    {
      std::lock_guard lock(posted_mutex_);
      batch.swap(posted_);
    }
    if (batch.empty()) return ran;
    for (auto& closure : batch) {
      closure();
      ++ran;
    }
  }
}

bool ManualEnv::FireNextTimer() {
  RunPosted();
  if (timers_.empty()) return false;
  auto it = timers_.begin();
  now_ = std::max(now_, it->first.first);
  auto callback = std::move(it->second);
  timers_.erase(it);
  callback();
  RunPosted();
  return true;
}

void ManualEnv::Advance(Duration by) {
  LB_CHECK(by >= Duration::zero());
  const MonoTime target = now_ + by;
  RunPosted();
  while (!timers_.empty() && timers_.begin()->first.first <= target) FireNextTimer();
  now_ = target;
  RunPosted();
}

}  // namespace lifeboat::simulator
