// The routing driver on a manual clock: probes run on Env timers, their failures reach the
// routing core, and every mode change it decides is proposed as a RoutingChanged event with the
// probe evidence; operator overrides are events with the operator and the reason. ManualEnv has
// no network, so every probe fails at the TCP connect, as against a primary that is gone.
#include "appliance/routing_service.h"

#include <gtest/gtest.h>

#include <vector>

#include "simulator/manual_env.h"

namespace lifeboat {
namespace {

using std::chrono_literals::operator""ms;

constexpr char kPrimary[] = "127.0.0.1:2525";

class RecordingProposer : public eventlog::Proposer {
 public:
  void Propose(events::Event event, Done done) override {
    events.push_back(std::move(event));
    done(static_cast<uint64_t>(events.size()));
  }
  uint64_t commit_index() const override { return events.size(); }
  void AddCommitListener(CommitListener) override {}
  std::vector<events::Event> events;
};

class RoutingServiceTest : public ::testing::Test {
 protected:
  RoutingServiceTest() : env_(1), logger_(env_, LogLevel::kError, [](std::string_view) {}) {
    config_.enabled = true;
    config_.primaries = {kPrimary};
    config_.helo_name = "lifeboat.example.test";
    config_.probe_interval_ms = 1000;
    config_.probe_timeout_ms = 500;
    config_.failures_to_switch = 3;
    config_.failure_window_ms = 5000;
    config_.successes_to_recover = 2;
    config_.hold_down_ms = 3000;
  }

  simulator::ManualEnv env_;
  Logger logger_;
  config::RoutingConfig config_;
  RecordingProposer proposer_;
  routing::RoutingTable table_;
};

TEST_F(RoutingServiceTest, ThreeFailedProbesSwitchToContinuityWithTheirEvidence) {
  RoutingService service(config_, env_, logger_, proposer_, table_);
  service.Start();
  env_.RunUntilIdle();  // the first probe, at once
  EXPECT_TRUE(proposer_.events.empty());
  env_.Advance(1000ms);  // the second
  EXPECT_TRUE(proposer_.events.empty());
  env_.Advance(1000ms);  // the third: down
  ASSERT_EQ(proposer_.events.size(), 1u);
  const events::RoutingChanged& change = proposer_.events[0].routing_changed();
  EXPECT_EQ(change.scope(), "all");
  EXPECT_EQ(change.mode(), events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ(change.previous_mode(), events::ROUTING_MODE_NORMAL);
  EXPECT_EQ(change.reason().rfind("health: every primary down: 127.0.0.1:2525:", 0), 0u)
      << change.reason();
  ASSERT_EQ(change.probes_size(), 3);
  for (const events::ProbeResult& probe : change.probes()) {
    EXPECT_EQ(probe.primary(), kPrimary);
    EXPECT_EQ(probe.kind(), events::PROBE_KIND_TCP_CONNECT);
    EXPECT_FALSE(probe.success());
    EXPECT_NE(probe.detail().find("no network"), std::string::npos) << probe.detail();
  }
  EXPECT_EQ(service.automatic_mode(), events::ROUTING_MODE_CONTINUITY);
  env_.Advance(5000ms);  // still down: no second event
  EXPECT_EQ(proposer_.events.size(), 1u);

  const std::string status = RoutingStatusJson(table_, &service);
  EXPECT_NE(status.find("\"configured\":true"), std::string::npos) << status;
  EXPECT_NE(status.find("\"automatic_mode\":\"continuity\""), std::string::npos) << status;
  EXPECT_NE(status.find("\"address\":\"127.0.0.1:2525\",\"up\":false"), std::string::npos)
      << status;
  EXPECT_NE(status.find("\"kind\":\"tcp_connect\",\"success\":false"), std::string::npos);
}

TEST_F(RoutingServiceTest, OperatorOverridesAreEventsWithOperatorAndReason) {
  RoutingService service(config_, env_, logger_, proposer_, table_);
  service.Start();
  env_.RunUntilIdle();
  Result<uint64_t> answered = Status::Aborted("not answered");
  ASSERT_TRUE(service
                  .SetOverride("domain:Example.TEST", routing::Override::kForceContinuity, "bob",
                               "drill", [&](Result<uint64_t> index) { answered = index; })
                  .ok());
  ASSERT_TRUE(answered.ok());
  EXPECT_EQ(*answered, 1u);
  ASSERT_EQ(proposer_.events.size(), 1u);
  const events::RoutingChanged& change = proposer_.events[0].routing_changed();
  EXPECT_EQ(change.scope(), "domain:example.test");
  EXPECT_EQ(change.mode(), events::ROUTING_MODE_CONTINUITY);
  EXPECT_TRUE(change.forced_by_operator());
  EXPECT_EQ(change.operator_name(), "bob");
  EXPECT_EQ(change.reason(), "operator bob: force continuity: drill");
  EXPECT_EQ(change.probes_size(), 0);

  Status bad = service.SetOverride("team:x", routing::Override::kForceNormal, "bob", "x",
                                   [](Result<uint64_t>) { ADD_FAILURE() << "proposed"; });
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(proposer_.events.size(), 1u);
}

TEST_F(RoutingServiceTest, StartsFromTheCommittedContinuityAndProbesNothingAfterStop) {
  table_.SetScopeMode("all", routing::ScopeMode{events::ROUTING_MODE_CONTINUITY, false});
  RoutingService service(config_, env_, logger_, proposer_, table_);
  service.Start();
  EXPECT_EQ(service.automatic_mode(), events::ROUTING_MODE_CONTINUITY);
  env_.Advance(10'000ms);  // failures only confirm continuity
  EXPECT_TRUE(proposer_.events.empty());
  service.Stop();
  EXPECT_EQ(env_.pending_timers(), 0u);
}

}  // namespace
}  // namespace lifeboat
