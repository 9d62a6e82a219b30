// Scenario files (simulator/scenario.h): every documented key is read, mistakes are refused with
// where they are, scheduled faults happen at their virtual times (the report's timeline says so),
// one file and one seed replay one trace, and every shipped scenario runs with no violation and
// its report as JSON.
#include "simulator/scenario.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

namespace lifeboat::simulator {
namespace {

constexpr char kEveryKey[] = R"(
name = "every-key"
description = "all keys"
duration_seconds = 180
drain_bound_seconds = 120
[mail]
senders = 2
interval_mean_ms = 1500
[random_faults]
enabled = true
interval_mean_seconds = 45
[[fault]]
at_seconds = 30
length_seconds = 10
kind = "power_loss"
[[fault]]
at_seconds = 90
length_seconds = 20
kind = "partition"
sender = 1
)";

TEST(ScenarioTest, ReadsEveryDocumentedKey) {
  Result<SimulationOptions> parsed = ParseScenario(kEveryKey, "test.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const SimulationOptions& options = *parsed;
  EXPECT_EQ(options.scenario, "every-key");
  EXPECT_EQ(options.duration, std::chrono::seconds(180));
  EXPECT_EQ(options.drain_bound, std::chrono::seconds(120));
  EXPECT_EQ(options.senders, 2);
  EXPECT_EQ(options.mail_interval_mean, std::chrono::milliseconds(1500));
  EXPECT_TRUE(options.random_faults);
  EXPECT_EQ(options.fault_interval_mean, std::chrono::seconds(45));
  ASSERT_EQ(options.faults.size(), 2u);
  EXPECT_EQ(options.faults[0].at, std::chrono::seconds(30));
  EXPECT_EQ(options.faults[0].length, std::chrono::seconds(10));
  EXPECT_EQ(options.faults[0].kind, FaultKind::kPowerLoss);
  EXPECT_EQ(options.faults[1].kind, FaultKind::kPartition);
  EXPECT_EQ(options.faults[1].sender, 1);
}

TEST(ScenarioTest, DefaultsToTheFileNameAndNoRandomFaults) {
  Result<SimulationOptions> parsed = ParseScenario("", "/some/dir/quiet_day.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->scenario, "quiet_day");
  EXPECT_FALSE(parsed->random_faults);
  EXPECT_TRUE(parsed->faults.empty());
}

TEST(ScenarioTest, RefusesMistakesAndSaysWhere) {
  const struct {
    const char* text;
    const char* expected;
  } cases[] = {
      {"durations_seconds = 5", "unknown key \"durations_seconds\""},
      {"[mail]\nsender = 2", "[mail]: unknown key \"sender\""},
      {"[[fault]]\nat_seconds = 5\nkind = \"meteor\"", "[[fault]] 1: kind \"meteor\" is none of"},
      {"duration_seconds = 60\n[[fault]]\nat_seconds = 60\nkind = \"crash\"",
       "at_seconds takes a whole number in 0..59"},
      {"[[fault]]\nkind = \"crash\"", "[[fault]] 1: at_seconds is missing"},
      {"[mail]\nsenders = 2\n[[fault]]\nat_seconds = 1\nkind = \"partition\"\nsender = 2",
       "sender takes a whole number in 0..1"},
      {"duration_seconds = \"ten minutes\"", "duration_seconds takes a whole number"},
      {"name = [", "scenario bad.toml: 1:"},
  };
  for (const auto& c : cases) {
    Result<SimulationOptions> parsed = ParseScenario(c.text, "bad.toml");
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_NE(parsed.status().message().find(c.expected), std::string::npos)
        << c.text << " gave: " << parsed.status().message();
  }
  EXPECT_FALSE(LoadScenario("/nonexistent/scenario.toml").ok());
}

// The timeline entry that starts with `prefix`, or null.
const TimelineEntry* Find(const SimulationReport& report, const std::string& prefix) {
  for (const TimelineEntry& entry : report.timeline) {
    if (entry.what.rfind(prefix, 0) == 0) return &entry;
  }
  return nullptr;
}

TEST(ScenarioTest, ScheduledFaultsHappenAtTheirTimesAndReplay) {
  Result<SimulationOptions> parsed = ParseScenario(R"(
duration_seconds = 240
[[fault]]
at_seconds = 40
length_seconds = 15
kind = "torn_power_loss"
[[fault]]
at_seconds = 45
length_seconds = 5
kind = "crash"
[[fault]]
at_seconds = 120
length_seconds = 30
kind = "disk_full"
)",
                                                   "timed.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  SimulationOptions options = *parsed;
  options.seed = 3;
  const SimulationReport report = RunSimulation(options);
  EXPECT_TRUE(report.ok()) << report.ToText();
  const TimelineEntry* cut = Find(report, "torn_power_loss for 15 s");
  ASSERT_NE(cut, nullptr) << report.ToText();
  EXPECT_DOUBLE_EQ(cut->at_seconds, 40.0);
  // The crash falls while the node is still down from the cut: skipped, and said so.
  const TimelineEntry* skipped = Find(report, "crash skipped");
  ASSERT_NE(skipped, nullptr) << report.ToText();
  EXPECT_DOUBLE_EQ(skipped->at_seconds, 45.0);
  const TimelineEntry* full = Find(report, "disk_full for 30 s");
  ASSERT_NE(full, nullptr) << report.ToText();
  EXPECT_DOUBLE_EQ(full->at_seconds, 120.0);
  const TimelineEntry* space_back = Find(report, "disk_full ends");
  ASSERT_NE(space_back, nullptr);
  EXPECT_DOUBLE_EQ(space_back->at_seconds, 150.0);
  // Only the scheduled faults: no random crash, the cut plus the last one before the checks.
  EXPECT_EQ(report.crashes, 0u);
  EXPECT_EQ(report.torn_power_losses, 1u);
  EXPECT_EQ(report.power_losses, 2u);
  EXPECT_EQ(report.disk_full_periods, 1u);
  EXPECT_GT(report.mails_acked, 50u);
  EXPECT_EQ(report.mails_lost, 0u);
  uint64_t flow = 0;
  for (uint64_t acked : report.acked_per_minute) flow += acked;
  EXPECT_EQ(flow, report.mails_acked);

  const SimulationReport again = RunSimulation(options);
  EXPECT_EQ(again.trace_hash, report.trace_hash);
  EXPECT_EQ(again.ToJson(), report.ToJson());
}

TEST(ScenarioTest, EveryShippedScenarioRunsWithoutViolations) {
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(LIFEBOAT_SCENARIO_DIR)) {
    if (entry.path().extension() != ".toml") continue;
    ++files;
    Result<SimulationOptions> options = LoadScenario(entry.path().string());
    ASSERT_TRUE(options.ok()) << options.status().ToString();
    options->seed = 1;
    const SimulationReport report = RunSimulation(*options);
    EXPECT_TRUE(report.ok()) << report.ToText();
    EXPECT_EQ(report.mails_lost, 0u);
    EXPECT_GT(report.mails_acked, 100u) << report.ToText();
    // Each scheduled fault started at its time (or was skipped, said at that time).
    for (const ScheduledFault& fault : options->faults) {
      const double at = std::chrono::duration<double>(fault.at).count();
      const bool found = std::any_of(
          report.timeline.begin(), report.timeline.end(), [&](const TimelineEntry& line) {
            return line.at_seconds == at && line.what.rfind(FaultKindName(fault.kind), 0) == 0;
          });
      EXPECT_TRUE(found) << entry.path() << ": " << FaultKindName(fault.kind) << " at " << at
                         << "\n"
                         << report.ToText();
    }
    const std::string json = report.ToJson();
    EXPECT_NE(json.find("\"scenario\":\"" + options->scenario + "\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"lost\":0,"), std::string::npos) << json;
    EXPECT_NE(json.find("\"timeline\":[{\"at_seconds\":"), std::string::npos) << json;
    EXPECT_NE(json.find("\"acked_per_minute\":["), std::string::npos) << json;
    std::printf("%s", report.ToText().c_str());
  }
  EXPECT_GE(files, 2u);
}

}  // namespace
}  // namespace lifeboat::simulator
