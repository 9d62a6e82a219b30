#include "simulator/manual_env.h"

#include <atomic>
#include <utility>

#include "appliance/env/check.h"

namespace lifeboat::simulator {

struct ManualEnv::WorkQueue {
  struct Item {
    uint64_t executor_id = 0;  // 0: RunOffLoop work
    std::function<void()> task;
  };
  std::mutex mutex;
  std::deque<Item> items;         // guarded by mutex
  uint64_t next_executor_id = 1;  // guarded by mutex

  void Push(uint64_t executor_id, std::function<void()> task) {
    std::lock_guard lock(mutex);
    items.push_back({executor_id, std::move(task)});
  }
  // The first queued item (of `executor_id`, or of anyone when 0); null when none.
  std::function<void()> Take(uint64_t executor_id) {
    std::lock_guard lock(mutex);
    for (auto it = items.begin(); it != items.end(); ++it) {
      if (executor_id != 0 && it->executor_id != executor_id) continue;
      std::function<void()> task = std::move(it->task);
      items.erase(it);
      return task;
    }
    return nullptr;
  }
};

namespace {

// Its tasks run on whichever thread drives the env, one at a time: serial by construction.
class ManualSerialExecutor final : public SerialExecutor {
 public:
  explicit ManualSerialExecutor(std::shared_ptr<ManualEnv::WorkQueue> queue) : queue_(queue) {
    std::lock_guard lock(queue_->mutex);
    id_ = queue_->next_executor_id++;
  }
  ~ManualSerialExecutor() override { Shutdown(); }

  void Submit(std::function<void()> task) override {
    LB_CHECK(task != nullptr);
    LB_CHECK(!shut_down_);  // env.h: no Submit after Shutdown() returned
    queue_->Push(id_, std::move(task));
  }

  void Shutdown() override {
    // Drains here and now: a shut-down executor leaves nothing behind in the env's queue.
    while (std::function<void()> task = queue_->Take(id_)) task();
    shut_down_ = true;
  }

 private:
  std::shared_ptr<ManualEnv::WorkQueue> queue_;
  uint64_t id_ = 0;
  std::atomic<bool> shut_down_{false};
};

}  // namespace

ManualEnv::ManualEnv(uint64_t seed, WallTime wall_start)
    : wall_start_(wall_start), random_(seed), work_(std::make_shared<WorkQueue>()) {}

void ManualEnv::RunOffLoop(std::function<void()> work, std::function<void()> then_on_loop) {
  LB_CHECK(work != nullptr);
  work_->Push(0, [this, work = std::move(work), then_on_loop = std::move(then_on_loop)]() mutable {
    work();
    if (then_on_loop != nullptr) Post(std::move(then_on_loop));
  });
}

std::unique_ptr<SerialExecutor> ManualEnv::NewSerialExecutor(std::string) {
  return std::make_unique<ManualSerialExecutor>(work_);
}

size_t ManualEnv::RunWorkers() {
  size_t ran = 0;
  while (std::function<void()> task = work_->Take(0)) {
    task();
    ++ran;
  }
  return ran;
}

size_t ManualEnv::RunUntilIdle() {
  size_t ran = 0;
  for (;;) {
    const size_t step = RunPosted() + RunWorkers();
    if (step == 0) return ran;
    ran += step;
  }
}

size_t ManualEnv::pending_work() const {
  std::lock_guard lock(work_->mutex);
  return work_->items.size();
}

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
  RunUntilIdle();
  if (timers_.empty()) return false;
  auto it = timers_.begin();
  now_ = std::max(now_, it->first.first);
  auto callback = std::move(it->second);
  timers_.erase(it);
  callback();
  RunUntilIdle();
  return true;
}

void ManualEnv::Advance(Duration by) {
  LB_CHECK(by >= Duration::zero());
  const MonoTime target = now_ + by;
  RunUntilIdle();
  while (!timers_.empty() && timers_.begin()->first.first <= target) FireNextTimer();
  now_ = target;
  RunUntilIdle();
}

}  // namespace lifeboat::simulator
