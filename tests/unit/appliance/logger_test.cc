// Structured log lines: JSON, time from the Env, level filter.
#include "appliance/log/logger.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lifeboat {
namespace {

// A stopped wall clock: the logger must take its time from the Env, nowhere else.
class FixedClockEnv : public Env {
 public:
  explicit FixedClockEnv(WallTime wall) : wall_(wall) {}
  MonoTime MonotonicNow() override { return MonoTime(0); }
  WallTime WallNow() override { return wall_; }
  TimerId StartTimer(Duration, std::function<void()>) override { return 0; }
  void CancelTimer(TimerId) override {}
  uint64_t RandomU64() override { return 4; }
  void Post(std::function<void()>) override {}
  void RunOffLoop(std::function<void()>, std::function<void()>) override {}
  std::unique_ptr<SerialExecutor> NewSerialExecutor(std::string) override { return nullptr; }

 private:
  WallTime wall_;
};

TEST(LoggerTest, WritesOneJsonLinePerEventWithEnvTime) {
  // 2023-11-14T22:13:20Z plus 123456 us.
  FixedClockEnv env(WallTime(1'700'000'000'123'456));
  std::vector<std::string> lines;
  Logger logger(env, LogLevel::kInfo, [&](std::string_view line) { lines.emplace_back(line); });
  logger.Info("node", "started", {{"node_id", "n1"}, {"port", int64_t{9025}}, {"ro", false}});
  logger.Debug("node", "filtered out");
  logger.Warn("admin", "say \"hi\"\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "{\"ts\":\"2023-11-14T22:13:20.123456Z\",\"level\":\"info\",\"component\":\"node\","
            "\"msg\":\"started\",\"node_id\":\"n1\",\"port\":9025,\"ro\":false}\n");
  EXPECT_EQ(lines[1],
            "{\"ts\":\"2023-11-14T22:13:20.123456Z\",\"level\":\"warn\",\"component\":\"admin\","
            "\"msg\":\"say \\\"hi\\\"\\n\"}\n");
}

}  // namespace
}  // namespace lifeboat
