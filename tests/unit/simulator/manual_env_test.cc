// The manual-clock Env: time moves only when told, timers fire in deadline order, a seed replays
// the same random stream, closures posted from other threads run on the caller's thread, and
// off-loop work and executor tasks run only when the test drives them, on the caller's thread.
#include "simulator/manual_env.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace lifeboat::simulator {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ManualEnvTest, TimeMovesOnlyWhenAdvanced) {
  ManualEnv env(1);
  const MonoTime start = env.MonotonicNow();
  const WallTime wall = env.WallNow();
  EXPECT_EQ(env.MonotonicNow(), start);
  env.Advance(seconds(5));
  EXPECT_EQ(env.MonotonicNow() - start, seconds(5));
  EXPECT_EQ(env.WallNow() - wall, seconds(5));
}

TEST(ManualEnvTest, TimersFireInDeadlineOrderAtTheirDeadline) {
  ManualEnv env(1);
  std::vector<std::pair<int, MonoTime>> fired;
  env.StartTimer(milliseconds(30), [&] { fired.emplace_back(3, env.MonotonicNow()); });
  env.StartTimer(milliseconds(10), [&] { fired.emplace_back(1, env.MonotonicNow()); });
  env.StartTimer(milliseconds(20), [&] { fired.emplace_back(2, env.MonotonicNow()); });
  env.Advance(milliseconds(25));
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0], std::make_pair(1, MonoTime(milliseconds(10))));
  EXPECT_EQ(fired[1], std::make_pair(2, MonoTime(milliseconds(20))));
  EXPECT_EQ(env.MonotonicNow(), MonoTime(milliseconds(25)));
  EXPECT_EQ(env.pending_timers(), 1u);
  env.Advance(milliseconds(5));
  ASSERT_EQ(fired.size(), 3u);
  EXPECT_EQ(fired[2].first, 3);
}

TEST(ManualEnvTest, CancelledTimerNeverFires) {
  ManualEnv env(1);
  bool fired = false;
  TimerId id = env.StartTimer(seconds(1), [&] { fired = true; });
  env.CancelTimer(id);
  env.CancelTimer(id);  // twice is a no-op
  env.Advance(seconds(2));
  EXPECT_FALSE(fired);
  EXPECT_EQ(env.pending_timers(), 0u);
}

TEST(ManualEnvTest, TimerStartedByATimerFiresWithinTheSameAdvance) {
  ManualEnv env(1);
  int fired = 0;
  env.StartTimer(seconds(1), [&] {
    ++fired;
    env.StartTimer(seconds(1), [&] { ++fired; });
  });
  env.Advance(seconds(2));
  EXPECT_EQ(fired, 2);
}

TEST(ManualEnvTest, SameSeedSameRandomStream) {
  ManualEnv a(42);
  ManualEnv b(42);
  ManualEnv c(43);
  std::vector<uint64_t> from_a, from_b, from_c;
  for (int i = 0; i < 16; ++i) {
    from_a.push_back(a.RandomU64());
    from_b.push_back(b.RandomU64());
    from_c.push_back(c.RandomU64());
  }
  EXPECT_EQ(from_a, from_b);
  EXPECT_NE(from_a, from_c);
}

TEST(ManualEnvTest, PostedClosuresRunOnTheCallersThreadInOrder) {
  ManualEnv env(1);
  std::vector<int> ran;
  const std::thread::id caller = std::this_thread::get_id();
  std::thread poster([&] {
    for (int i = 0; i < 100; ++i) {
      env.Post([&, i] {
        EXPECT_EQ(std::this_thread::get_id(), caller);
        ran.push_back(i);
      });
    }
  });
  poster.join();
  EXPECT_EQ(env.RunPosted(), 100u);
  ASSERT_EQ(ran.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ran[i], i);
}

TEST(ManualEnvTest, ExecutorTasksRunOnlyWhenDrivenInSubmissionOrder) {
  ManualEnv env(1);
  std::unique_ptr<SerialExecutor> storage = env.NewSerialExecutor("storage");
  std::unique_ptr<SerialExecutor> other = env.NewSerialExecutor("other");
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::string> ran;
  auto task = [&](std::string name) {
    return [&, name] {
      EXPECT_EQ(std::this_thread::get_id(), caller) << "no thread of its own";
      ran.push_back(name);
    };
  };
  storage->Submit(task("s1"));
  other->Submit(task("o1"));
  storage->Submit([&, task] {
    ran.push_back("s2");
    storage->Submit(task("s3"));  // a task may queue the next one
  });
  EXPECT_TRUE(ran.empty()) << "nothing runs until the test drives the env";
  EXPECT_EQ(env.pending_work(), 3u);
  EXPECT_EQ(env.RunPosted(), 0u) << "posted closures and work are separate queues";
  EXPECT_EQ(env.RunWorkers(), 4u);
  EXPECT_EQ(ran, (std::vector<std::string>{"s1", "o1", "s2", "s3"}));
  EXPECT_EQ(env.pending_work(), 0u);
}

TEST(ManualEnvTest, RunOffLoopPostsItsContinuationForTheLoop) {
  ManualEnv env(1);
  std::vector<std::string> ran;
  env.RunOffLoop([&] { ran.push_back("work"); }, [&] { ran.push_back("then"); });
  env.RunOffLoop([&] { ran.push_back("work without continuation"); }, nullptr);
  EXPECT_EQ(env.RunPosted(), 0u);
  EXPECT_EQ(env.RunWorkers(), 2u);
  EXPECT_EQ(ran, (std::vector<std::string>{"work", "work without continuation"}));
  EXPECT_EQ(env.RunPosted(), 1u);
  EXPECT_EQ(ran.back(), "then");
}

TEST(ManualEnvTest, RunUntilIdleAlternatesLoopAndWorkUntilBothAreEmpty) {
  ManualEnv env(1);
  std::unique_ptr<SerialExecutor> storage = env.NewSerialExecutor("storage");
  int round_trips = 0;
  // Loop -> executor -> loop, three times: what a write and its posted callback do.
  std::function<void()> on_loop = [&] {
    if (++round_trips < 3) storage->Submit([&] { env.Post(on_loop); });
  };
  storage->Submit([&] { env.Post(on_loop); });
  EXPECT_EQ(env.RunUntilIdle(), 6u);
  EXPECT_EQ(round_trips, 3);
  EXPECT_EQ(env.pending_work(), 0u);
}

TEST(ManualEnvTest, ShutdownRunsOnlyThatExecutorsTasksThenAndThere) {
  ManualEnv env(1);
  std::unique_ptr<SerialExecutor> storage = env.NewSerialExecutor("storage");
  std::unique_ptr<SerialExecutor> other = env.NewSerialExecutor("other");
  std::vector<std::string> ran;
  storage->Submit([&] {
    ran.push_back("s1");
    storage->Submit([&] { ran.push_back("s3, queued while draining"); });
  });
  other->Submit([&] { ran.push_back("o1"); });
  storage->Submit([&] { ran.push_back("s2"); });
  storage->Shutdown();
  EXPECT_EQ(ran, (std::vector<std::string>{"s1", "s2", "s3, queued while draining"}));
  EXPECT_EQ(env.pending_work(), 1u) << "the other executor's task still waits";
  storage.reset();  // idempotent: nothing left to drain
  EXPECT_EQ(env.RunWorkers(), 1u);
  EXPECT_EQ(ran.back(), "o1");
}

TEST(ManualEnvTest, AdvanceRunsTheWorkTimersQueue) {
  ManualEnv env(1);
  std::unique_ptr<SerialExecutor> storage = env.NewSerialExecutor("storage");
  std::vector<MonoTime> ran_at;
  env.StartTimer(milliseconds(10), [&] {
    storage->Submit([&] { env.Post([&] { ran_at.push_back(env.MonotonicNow()); }); });
  });
  env.Advance(milliseconds(20));
  ASSERT_EQ(ran_at.size(), 1u);
  EXPECT_EQ(ran_at[0], MonoTime(milliseconds(10))) << "settled before time moved on";
}

}  // namespace
}  // namespace lifeboat::simulator
