// The production Env on a real event_base: timers, cancel, cross-thread Post, work off the loop
// on named threads.
#include "appliance/env/libevent_env.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "appliance/env/thread_name.h"

namespace lifeboat {
namespace {

using std::chrono::milliseconds;

// Every test arms this: if the behaviour under test never stops the loop, the test fails after
// a bound instead of hanging.
constexpr milliseconds kTestDeadline{5000};

std::unique_ptr<LibeventEnv> MakeEnv() {
  auto env = LibeventEnv::Create();
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  return std::move(env).value();
}

TEST(LibeventEnvTest, TimersFireInDeadlineOrder) {
  auto env = MakeEnv();
  std::vector<int> fired;
  bool timed_out = false;
  env->StartTimer(kTestDeadline, [&] {
    timed_out = true;
    env->Stop();
  });
  env->StartTimer(milliseconds(60), [&] {
    fired.push_back(60);
    env->Stop();
  });
  env->StartTimer(milliseconds(20), [&] { fired.push_back(20); });
  env->StartTimer(milliseconds(40), [&] { fired.push_back(40); });
  MonoTime start = env->MonotonicNow();
  ASSERT_TRUE(env->Run().ok());
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(fired, (std::vector<int>{20, 40, 60}));
  EXPECT_GE(env->MonotonicNow() - start, milliseconds(60));
}

TEST(LibeventEnvTest, CancelledTimerNeverFires) {
  auto env = MakeEnv();
  bool cancelled_fired = false;
  bool timed_out = false;
  TimerId guard = env->StartTimer(kTestDeadline, [&] {
    timed_out = true;
    env->Stop();
  });
  TimerId doomed = env->StartTimer(milliseconds(10), [&] { cancelled_fired = true; });
  env->StartTimer(milliseconds(30), [&] { env->Stop(); });
  env->CancelTimer(doomed);
  env->CancelTimer(doomed);  // a second cancel is a no-op
  ASSERT_TRUE(env->Run().ok());
  EXPECT_FALSE(cancelled_fired);
  EXPECT_FALSE(timed_out);
  env->CancelTimer(guard);
  EXPECT_EQ(env->pending_timers(), 0u);
}

TEST(LibeventEnvTest, PostFromAnotherThreadRunsOnTheLoopInOrder) {
  auto env = MakeEnv();
  const std::thread::id loop_thread = std::this_thread::get_id();
  constexpr int kPostCount = 1000;
  std::vector<int> seen;
  bool all_on_loop_thread = true;
  bool timed_out = false;
  env->StartTimer(kTestDeadline, [&] {
    timed_out = true;
    env->Stop();
  });
  std::thread poster([&] {
    for (int i = 0; i < kPostCount; ++i) {
      env->Post([&, i] {
        all_on_loop_thread = all_on_loop_thread && std::this_thread::get_id() == loop_thread;
        seen.push_back(i);
        if (i == kPostCount - 1) env->Stop();
      });
    }
  });
  ASSERT_TRUE(env->Run().ok());
  poster.join();
  EXPECT_FALSE(timed_out);
  EXPECT_TRUE(all_on_loop_thread);
  ASSERT_EQ(seen.size(), static_cast<size_t>(kPostCount));
  for (int i = 0; i < kPostCount; ++i) EXPECT_EQ(seen[i], i);
}

TEST(LibeventEnvTest, ClocksAndRandomness) {
  auto env = MakeEnv();
  MonoTime a = env->MonotonicNow();
  MonoTime b = env->MonotonicNow();
  EXPECT_LE(a, b);
  // Any time after 2020-01-01 means the wall clock is read, in microseconds since the epoch.
  EXPECT_GT(env->WallNow().count(), 1'577'836'800'000'000);
  // 64 random bits twice alike has probability 2^-64.
  EXPECT_NE(env->RandomU64(), env->RandomU64());
}

// The name the kernel holds for the calling thread (pthread_setname_np through NameThisThread).
std::string ThisThreadName() {
  char name[kThreadNameBytesMax + 1] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return name;
}

TEST(LibeventEnvTest, RunOffLoopWorksOnANamedWorkerAndContinuesOnTheLoop) {
  auto env = MakeEnv();
  const std::thread::id loop_thread = std::this_thread::get_id();
  constexpr int kItems = 50;
  std::atomic<int> off_loop{0};
  std::atomic<int> named{0};
  int continued_on_loop = 0;
  bool timed_out = false;
  env->StartTimer(kTestDeadline, [&] {
    timed_out = true;
    env->Stop();
  });
  for (int i = 0; i < kItems; ++i) {
    env->RunOffLoop(
        [&] {
          off_loop += std::this_thread::get_id() != loop_thread;
          named += ThisThreadName().rfind("lb-worker-", 0) == 0;
        },
        [&] {
          continued_on_loop += std::this_thread::get_id() == loop_thread;
          if (continued_on_loop == kItems) env->Stop();
        });
  }
  ASSERT_TRUE(env->Run().ok());
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(off_loop.load(), kItems);
  EXPECT_EQ(named.load(), kItems);
  EXPECT_EQ(continued_on_loop, kItems);
}

TEST(LibeventEnvTest, SerialExecutorRunsInOrderOneAtATimeAndShutdownDrains) {
  auto env = MakeEnv();
  std::unique_ptr<SerialExecutor> executor = env->NewSerialExecutor("lb-test-serial");
  constexpr int kTasks = 1000;
  std::vector<int> ran;  // touched by the executor's tasks only, read after Shutdown
  std::atomic<int> running{0};
  std::atomic<bool> overlapped{false};
  std::atomic<bool> named{true};
  for (int i = 0; i < kTasks; ++i) {
    executor->Submit([&, i] {
      if (++running != 1) overlapped = true;
      if (ThisThreadName() != "lb-test-serial") named = false;
      ran.push_back(i);
      --running;
    });
  }
  executor->Shutdown();  // returns once every task ran
  ASSERT_EQ(ran.size(), static_cast<size_t>(kTasks));
  for (int i = 0; i < kTasks; ++i) EXPECT_EQ(ran[i], i);
  EXPECT_FALSE(overlapped.load());
  EXPECT_TRUE(named.load());
  executor->Shutdown();  // idempotent
}

}  // namespace
}  // namespace lifeboat
