// The simulated world: one virtual clock, one seeded queue; a node's Env keeps env.h's ordering
// promises (posts FIFO, an executor's tasks in order, never two at once), a seed replays the same
// trace, a halted node runs nothing it had queued.
#include "simulator/world.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace lifeboat::simulator {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(WorldTest, TimersFireAtTheirVirtualDeadlineWithoutRealTime) {
  World world(1);
  SimEnv env(world, "n1");
  std::vector<MonoTime> fired;
  env.StartTimer(seconds(3600), [&] { fired.push_back(env.MonotonicNow()); });
  env.StartTimer(seconds(5), [&] { fired.push_back(env.MonotonicNow()); });
  const TimerId cancelled = env.StartTimer(seconds(7), [&] { fired.push_back(MonoTime(-1)); });
  env.CancelTimer(cancelled);
  world.RunFor(seconds(3600));
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0], seconds(5));
  EXPECT_EQ(fired[1], seconds(3600));
  EXPECT_EQ(env.WallNow() - world.wall_start(), seconds(3600));
}

TEST(WorldTest, PostsRunInOrderAndExecutorTasksInOrderOneAtATime) {
  World world(7);
  SimEnv env(world, "n1");
  std::vector<int> posted;
  std::vector<int> tasks;
  std::unique_ptr<SerialExecutor> executor = env.NewSerialExecutor("storage");
  for (int i = 0; i < 100; ++i) {
    env.Post([&, i] { posted.push_back(i); });
    executor->Submit([&, i] {
      tasks.push_back(i);
      env.Post([&, i] { posted.push_back(1000 + i); });
    });
  }
  world.RunFor(seconds(1));
  ASSERT_EQ(tasks.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(tasks[i], i);
  ASSERT_EQ(posted.size(), 200u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(posted[i], i);  // posted first, before any task ran
  int last = 999;
  for (size_t i = 100; i < posted.size(); ++i) {
    EXPECT_GT(posted[i], last);
    last = posted[i];
  }
}

TEST(WorldTest, ShutdownRunsAnExecutorsQueuedTasksThereAndThen) {
  World world(3);
  SimEnv env(world, "n1");
  int ran = 0;
  std::unique_ptr<SerialExecutor> executor = env.NewSerialExecutor("storage");
  executor->Submit([&] {
    ++ran;
    executor->Submit([&] { ++ran; });
  });
  executor->Shutdown();
  EXPECT_EQ(ran, 2);
  world.RunFor(seconds(1));  // the lane's event finds nothing left
  EXPECT_EQ(ran, 2);
}

TEST(WorldTest, AHaltedNodeRunsNothingItHadQueuedOrArmed) {
  World world(5);
  SimEnv env(world, "n1");
  int ran = 0;
  std::unique_ptr<SerialExecutor> executor = env.NewSerialExecutor("storage");
  env.StartTimer(milliseconds(1), [&] { ++ran; });
  env.Post([&] { ++ran; });
  env.RunOffLoop([&] { ++ran; }, [&] { ++ran; });
  executor->Submit([&] { ++ran; });
  env.Halt();
  world.RunFor(seconds(1));
  EXPECT_EQ(ran, 0);
  env.Post([&] { ++ran; });  // the restarted process
  world.RunFor(seconds(1));
  EXPECT_EQ(ran, 1);
}

// A small workload of two nodes: timers, posts, executors, off-loop work, randomness.
uint64_t TraceOf(uint64_t seed) {
  World world(seed);
  SimEnv a(world, "a");
  SimEnv b(world, "b");
  std::unique_ptr<SerialExecutor> storage = a.NewSerialExecutor("storage");
  for (int i = 0; i < 50; ++i) {
    a.StartTimer(milliseconds(a.RandomU64() % 1000),
                 [&] { storage->Submit([&] { b.Post([] {}); }); });
    b.RunOffLoop([] {}, [&] { a.Post([] {}); });
  }
  world.RunFor(seconds(2));
  return world.trace_hash();
}

TEST(WorldTest, TheSameSeedGivesTheSameTraceAndAnotherSeedAnother) {
  EXPECT_EQ(TraceOf(42), TraceOf(42));
  EXPECT_NE(TraceOf(42), TraceOf(43));
}

TEST(WorldTest, RunUntilStopsAtTheConditionOrTheBound) {
  World world(1);
  SimEnv env(world, "n1");
  bool done = false;
  env.StartTimer(seconds(10), [&] { done = true; });
  EXPECT_FALSE(world.RunUntil([&] { return done; }, seconds(5)));
  EXPECT_EQ(world.now(), seconds(5));
  EXPECT_TRUE(world.RunUntil([&] { return done; }, seconds(10)));
  EXPECT_EQ(world.now(), seconds(10));
}

}  // namespace
}  // namespace lifeboat::simulator
