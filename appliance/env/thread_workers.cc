#include "appliance/env/thread_workers.h"

#include <utility>

#include "appliance/env/check.h"
#include "appliance/env/thread_name.h"

namespace lifeboat {

ThreadSerialExecutor::ThreadSerialExecutor(std::string name) : name_(std::move(name)) {
  thread_ = std::thread([this] {
    NameThisThread(name_);
    Run();
  });
}

ThreadSerialExecutor::~ThreadSerialExecutor() {
  Shutdown();
}

void ThreadSerialExecutor::Submit(std::function<void()> task) {
  LB_CHECK(task != nullptr);
  {
    std::lock_guard lock(mutex_);
    LB_CHECK(!stopped_);  // env.h: no Submit after Shutdown() returned
    tasks_.push_back(std::move(task));
  }
  changed_.notify_one();
}

void ThreadSerialExecutor::Shutdown() {
  LB_CHECK(std::this_thread::get_id() != thread_.get_id());  // not from one of its tasks
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ThreadSerialExecutor::Run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) {  // stopping, and every task (also those submitted by tasks) has run
      stopped_ = true;
      return;
    }
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

ThreadWorkerPool::ThreadWorkerPool(Env& post_to, size_t threads_max, std::string name_prefix)
    : post_to_(post_to), threads_max_(threads_max), name_prefix_(std::move(name_prefix)) {
  LB_CHECK(threads_max_ >= 1);
}

ThreadWorkerPool::~ThreadWorkerPool() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    threads.swap(threads_);
  }
  changed_.notify_all();
  for (std::thread& thread : threads) thread.join();
}

void ThreadWorkerPool::Run(std::function<void()> work, std::function<void()> then_on_loop) {
  LB_CHECK(work != nullptr);
  {
    std::lock_guard lock(mutex_);
    LB_CHECK(!stopping_);
    items_.push_back({std::move(work), std::move(then_on_loop)});
    // A new thread only when every thread is busy, up to the limit: an idle node keeps none.
    if (idle_ == 0 && threads_.size() < threads_max_) {
      const std::string name = name_prefix_ + "-" + std::to_string(threads_.size() + 1);
      threads_.emplace_back([this, name] {
        NameThisThread(name);
        WorkerLoop();
      });
      return;  // the new thread takes the item
    }
  }
  changed_.notify_one();
}

void ThreadWorkerPool::WorkerLoop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    changed_.wait(lock, [this] { return stopping_ || !items_.empty(); });
    --idle_;
    if (items_.empty()) return;  // stopping, and the queued work is done
    Item item = std::move(items_.front());
    items_.pop_front();
    lock.unlock();
    item.work();
    if (item.then_on_loop != nullptr) post_to_.Post(std::move(item.then_on_loop));
    lock.lock();
  }
}

}  // namespace lifeboat
