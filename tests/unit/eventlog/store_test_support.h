#pragma once
// Shared by the log store, group commit and crash tests: a temp directory and a loop Env that a
// test can wait on (with a bound) while the storage thread posts results back.

#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "appliance/env/check.h"
#include "appliance/env/thread_workers.h"
#include "simulator/manual_env.h"

namespace lifeboat::eventlog::store_testing {

// A fresh directory under `base`, or $TMPDIR (or /tmp) when empty, removed with everything in
// it on destruction.
class TempDir {
 public:
  explicit TempDir(std::string base = "") {
    if (base.empty()) {
      const char* tmpdir = getenv("TMPDIR");
      base = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
    }
    std::string pattern = base + "/lifeboat-store-test-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    LB_CHECK(mkdtemp(buffer.data()) != nullptr);
    path_ = buffer.data();
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ManualEnv whose test thread plays the loop thread and can block until a condition holds
// (posted results arrive from the storage thread), never longer than a bound. Unlike a plain
// ManualEnv, its executors and worker pool are the production ones on real threads
// (thread_workers.h): these tests hold a sync in the fault-injection disk while they append, so
// the storage work must really run beside the test thread.
class LoopEnv : public simulator::ManualEnv {
 public:
  explicit LoopEnv(uint64_t seed = 1) : ManualEnv(seed) {}

  std::unique_ptr<SerialExecutor> NewSerialExecutor(std::string name) override {
    return std::make_unique<ThreadSerialExecutor>(std::move(name));
  }
  void RunOffLoop(std::function<void()> work, std::function<void()> then_on_loop) override {
    workers_.Run(std::move(work), std::move(then_on_loop));
  }

  void Post(std::function<void()> closure) override {
    ManualEnv::Post(std::move(closure));
    {
      std::lock_guard lock(mutex_);
      ++posts_;
    }
    posted_.notify_all();
  }

  // Runs posted closures until `done()` is true. False when `bound` passed without it.
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds bound = std::chrono::seconds(30)) {
    constexpr auto kSlice = std::chrono::milliseconds(5);
    int64_t idle_slices_left = bound / kSlice;
    for (;;) {
      uint64_t seen;
      {
        std::lock_guard lock(mutex_);
        seen = posts_;
      }
      RunPosted();
      if (done()) return true;
      std::unique_lock lock(mutex_);
      if (!posted_.wait_for(lock, kSlice, [&] { return posts_ != seen; })) {
        if (--idle_slices_left <= 0) return false;
      }
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable posted_;
  uint64_t posts_ = 0;
  ThreadWorkerPool workers_{*this, 2, "test-worker"};  // last: joined before the rest goes
};

}  // namespace lifeboat::eventlog::store_testing
