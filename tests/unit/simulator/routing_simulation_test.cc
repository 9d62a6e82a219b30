// Continuity routing in the simulation (simulator/simulation.h, sim_primary.h): the CrowdStrike-day
// scenario fails over within the promised detection time and back after the hold-down, with no
// acknowledged mail lost and a drill report (text and SVG) that tells the story; and the routing
// checkers can fail: a node that detects slower than promised, or that fails back without its
// hold-down, is caught.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "appliance/config/config.h"
#include "simulator/scenario.h"
#include "simulator/simulation.h"

namespace lifeboat::simulator {
namespace {

bool HasViolation(const SimulationReport& report, const std::string& part) {
  for (const std::string& violation : report.violations) {
    if (violation.find(part) != std::string::npos) return true;
  }
  return false;
}

// One outage of the primary and nothing else.
SimulationOptions OneOutage(Duration length) {
  SimulationOptions options;
  options.seed = 3;
  options.duration = std::chrono::minutes(6);
  options.random_faults = false;
  options.scenario = "one-outage";
  options.faults.push_back({std::chrono::seconds(60), length, FaultKind::kPrimaryOutage, 0});
  return options;
}

TEST(RoutingSimulationTest, CrowdStrikeDayFailsOverInTimeAndBackAfterTheHoldDown) {
  Result<SimulationOptions> options =
      LoadScenario(std::string(LIFEBOAT_SCENARIO_DIR) + "/crowdstrike_day.toml");
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  options->seed = 1;
  const SimulationReport report = RunSimulation(*options);
  ASSERT_TRUE(report.ok()) << report.ToText();
  EXPECT_GT(report.mails_acked, 1000u);
  EXPECT_EQ(report.mails_lost, 0u);
  EXPECT_EQ(report.failovers, 1u) << report.ToText();
  EXPECT_EQ(report.failbacks, 1u) << report.ToText();
  // The promise (issue #11): detection within probe interval x N + 1 s.
  const config::RoutingConfig defaults;
  const double promised =
      (defaults.probe_interval_ms * defaults.failures_to_switch + 1000) / 1000.0;
  EXPECT_GE(report.first_detection_seconds, 0);
  EXPECT_LE(report.first_detection_seconds, promised);
  // Failback only after the primary has been healthy for a whole hold-down after its flapping.
  ASSERT_EQ(report.routing.size(), 2u);
  EXPECT_EQ(report.routing[0].mode, "continuity");
  EXPECT_EQ(report.routing[1].mode, "failback");
  const double flap_end = report.primary_down.back().to_seconds;
  EXPECT_GE(report.routing[1].at_seconds, flap_end + defaults.hold_down_ms / 1000.0 - 30);
  // The report an operator reads.
  const std::string text = report.ToText();
  EXPECT_NE(text.find("routing: continuity"), std::string::npos) << text;
  EXPECT_NE(text.find("first outage detected in"), std::string::npos) << text;
  EXPECT_NE(text.find("switched to continuity 10.0 s later, by itself"), std::string::npos) << text;
  EXPECT_NE(text.find("0 were lost"), std::string::npos) << text;
  const std::string svg = report.ToSvg();
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("crowdstrike-day"), std::string::npos);
  EXPECT_NE(svg.find("Routing mode"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(report.ToJson().find("\"failovers\":1"), std::string::npos);
}

TEST(RoutingSimulationTest, ASlowerDetectionThanPromisedIsCaught) {
  SimulationOptions options = OneOutage(std::chrono::minutes(3));
  const SimulationReport healthy = RunSimulation(options);
  ASSERT_TRUE(healthy.ok()) << healthy.ToText();
  EXPECT_EQ(healthy.failovers, 1u);

  options.node_failures_to_switch_for_tests = 12;  // 60 s of failures instead of 15
  const SimulationReport slow = RunSimulation(options);
  EXPECT_TRUE(HasViolation(slow, "was not continuity by")) << slow.ToText();
}

TEST(RoutingSimulationTest, FailingBackWithoutTheHoldDownIsCaught) {
  SimulationOptions options = OneOutage(std::chrono::seconds(30));
  options.node_without_hold_down_for_tests = true;
  const SimulationReport report = RunSimulation(options);
  EXPECT_TRUE(HasViolation(report, "routing flapped")) << report.ToText();
}

}  // namespace
}  // namespace lifeboat::simulator
