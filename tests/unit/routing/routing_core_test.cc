// The routing core as timelines (STYLE.md rule 12): probe results at given times, then the
// routing events and modes that must follow, and when.
#include "modules/routing/routing_core.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lifeboat::routing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kMx1 = "mx1.corp.test:25";
constexpr std::string_view kMx2 = "mx2.corp.test:25";

Probe MakeProbe(std::string_view primary, MonoTime at, bool success,
                events::ProbeKind kind = events::PROBE_KIND_SMTP_EHLO) {
  Probe probe;
  probe.at = at;
  probe.record.set_primary(std::string(primary));
  probe.record.set_kind(kind);
  probe.record.set_success(success);
  probe.record.set_detail(success ? "250 ok" : "connection refused");
  probe.record.set_at_unix_micros(
      std::chrono::duration_cast<std::chrono::microseconds>(at).count());
  return probe;
}

// Up for 2 s, down for 2 s: up in [0, 2), down in [2, 4), ...
bool UpWhileFlapping(MonoTime at) {
  return std::chrono::duration_cast<seconds>(at).count() / 2 % 2 == 0;
}

class RoutingCoreTest : public ::testing::Test {
 protected:
  explicit RoutingCoreTest(std::vector<std::string> primaries = {std::string(kMx1)}) {
    config_.primaries = std::move(primaries);
  }

  RoutingCore& Core() {
    if (!core_) core_ = std::make_unique<RoutingCore>(config_, start_, MonoTime{0});
    return *core_;
  }

  // Feeds one probe and returns the events it produced.
  std::vector<events::RoutingChanged> Feed(std::string_view primary, MonoTime at, bool success,
                                           events::ProbeKind kind = events::PROBE_KIND_SMTP_EHLO) {
    EXPECT_TRUE(Core().OnProbe(MakeProbe(primary, at, success, kind)).ok());
    return Core().TakeChanges();
  }

  RoutingCoreConfig config_;
  RoutingStart start_;
  std::unique_ptr<RoutingCore> core_;
};

TEST_F(RoutingCoreTest, DefaultsDetectWithinTheWindowAndTheBenchBound) {
  // The bench target: detection <= probe interval x N + 1 s. With the default thresholds the
  // Nth consecutive failure lands at (N - 1) intervals after the first, inside the window.
  EXPECT_LE(kProbeIntervalDefault * (kFailuresToSwitchDefault - 1), kFailureWindowDefault);
  EXPECT_GE(kHoldDownDefault, kProbeIntervalDefault * kSuccessesToRecoverDefault);
}

TEST_F(RoutingCoreTest, SwitchesToContinuityAtTheNthFailureWithinTheWindow) {
  const Duration interval = kProbeIntervalDefault;
  MonoTime t{seconds(100)};
  EXPECT_TRUE(Feed(kMx1, t, true).empty());
  // The primary dies just after t: failures at t+5, t+10 keep routing normal ...
  EXPECT_TRUE(Feed(kMx1, t + interval, false).empty());
  EXPECT_TRUE(Feed(kMx1, t + 2 * interval, false).empty());
  EXPECT_EQ(Core().automatic_mode(), events::ROUTING_MODE_NORMAL);
  // ... the third, 10 s after the first, switches (detection time: 3 probe intervals).
  std::vector<events::RoutingChanged> changes = Feed(kMx1, t + 3 * interval, false);
  ASSERT_EQ(changes.size(), 1u);
  const events::RoutingChanged& change = changes[0];
  EXPECT_EQ(change.scope(), "all");
  EXPECT_EQ(change.mode(), events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ(change.previous_mode(), events::ROUTING_MODE_NORMAL);
  EXPECT_EQ(change.reason(),
            "health: every primary down: mx1.corp.test:25: 3 failed probes in 30 s");
  EXPECT_FALSE(change.forced_by_operator());
  ASSERT_EQ(change.probes_size(), 3);
  for (const events::ProbeResult& probe : change.probes()) {
    EXPECT_EQ(probe.primary(), kMx1);
    EXPECT_FALSE(probe.success());
  }
  EXPECT_EQ(change.probes(0).at_unix_micros(), 105'000'000);
  EXPECT_EQ(change.probes(2).at_unix_micros(), 115'000'000);
  EXPECT_EQ(Core().ModeOf("all"), events::ROUTING_MODE_CONTINUITY);
}

TEST_F(RoutingCoreTest, FailuresSpreadWiderThanTheWindowDoNotSwitch) {
  // One failure every 20 s (a lossy link): never 3 within 30 s.
  for (int i = 0; i < 20; ++i) {
    MonoTime t{seconds(20 * i)};
    EXPECT_TRUE(Feed(kMx1, t, false).empty()) << "at " << 20 * i << " s";
    EXPECT_TRUE(Feed(kMx1, t + seconds(5), true).empty());
  }
  EXPECT_EQ(Core().automatic_mode(), events::ROUTING_MODE_NORMAL);
}

TEST_F(RoutingCoreTest, RecoversAfterSuccessesAndHoldDownThenDrainsToNormal) {
  MonoTime t{0};
  for (int i = 1; i <= 3; ++i) Feed(kMx1, t + seconds(5 * i), false);
  ASSERT_EQ(Core().automatic_mode(), events::ROUTING_MODE_CONTINUITY);
  const MonoTime last_failure{seconds(15)};
  // Successes from 20 s on: 5 in a row are reached at 40 s, but the hold-down (300 s without a
  // failure) holds the switch until 315 s.
  MonoTime switched_at{0};
  events::RoutingChanged failback;
  for (MonoTime at = last_failure + seconds(5); at <= last_failure + seconds(400);
       at += seconds(5)) {
    std::vector<events::RoutingChanged> changes = Feed(kMx1, at, true);
    if (!changes.empty()) {
      ASSERT_EQ(switched_at, MonoTime{0}) << "switched twice";
      switched_at = at;
      failback = changes[0];
    }
  }
  EXPECT_EQ(switched_at, last_failure + kHoldDownDefault);
  EXPECT_EQ(failback.mode(), events::ROUTING_MODE_FAILBACK);
  EXPECT_EQ(failback.previous_mode(), events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ(failback.reason(),
            "health: mx1.corp.test:25 recovered: 60 successful probes in a row, none failed for "
            "300 s");
  EXPECT_EQ(failback.probes_size(), static_cast<int>(kProbeEvidenceMax));
  for (const events::ProbeResult& probe : failback.probes()) EXPECT_TRUE(probe.success());

  Core().OnFailbackDrained(last_failure + seconds(401));
  std::vector<events::RoutingChanged> changes = Core().TakeChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].mode(), events::ROUTING_MODE_NORMAL);
  EXPECT_EQ(changes[0].previous_mode(), events::ROUTING_MODE_FAILBACK);
  EXPECT_EQ(changes[0].reason(), "failback: every kept mail relayed to the primary");
}

TEST_F(RoutingCoreTest, FlappingPrimarySwitchesAtMostOncePerHoldDown) {
  // The primary is up for 2 s, down for 2 s, for a minute; probed every second (faster than the
  // default, so the flapping is seen), then for ten more minutes at the same rhythm.
  struct Switch {
    MonoTime at;
    events::RoutingMode mode;
  };
  std::vector<Switch> switches;
  const MonoTime end{seconds(60 + 600)};
  for (MonoTime at{seconds(1)}; at <= end; at += seconds(1)) {
    bool up = UpWhileFlapping(at);
    for (const events::RoutingChanged& change : Feed(kMx1, at, up)) {
      switches.push_back({at, change.mode()});
    }
  }
  // Detected once, and never handed back while the primary keeps failing.
  ASSERT_EQ(switches.size(), 1u);
  EXPECT_EQ(switches[0].mode, events::ROUTING_MODE_CONTINUITY);
  EXPECT_LE(switches[0].at, MonoTime{seconds(1)} + kFailureWindowDefault);
}

TEST_F(RoutingCoreTest, PrimaryThatFlapsAfterFailbackDoesNotSwitchWithinTheHoldDown) {
  // Down, recovered, failed back; then it flaps at once: the return to continuity waits for
  // the hold-down counted from the failback.
  for (int i = 1; i <= 3; ++i) Feed(kMx1, MonoTime{seconds(i)}, false);
  MonoTime at{seconds(4)};
  std::vector<MonoTime> switch_times = {MonoTime{seconds(3)}};
  for (; at <= MonoTime{seconds(3)} + kHoldDownDefault; at += seconds(1)) Feed(kMx1, at, true);
  ASSERT_EQ(Core().automatic_mode(), events::ROUTING_MODE_FAILBACK);
  switch_times.push_back(at - seconds(1));
  for (; at <= MonoTime{seconds(1200)}; at += seconds(1)) {
    bool up = UpWhileFlapping(at);
    if (!Feed(kMx1, at, up).empty()) switch_times.push_back(at);
  }
  ASSERT_GE(switch_times.size(), 3u);
  for (size_t i = 1; i < switch_times.size(); ++i) {
    EXPECT_GE(switch_times[i] - switch_times[i - 1], kHoldDownDefault) << "switch " << i;
  }
  EXPECT_EQ(Core().automatic_mode(), events::ROUTING_MODE_CONTINUITY);
}

class TwoPrimariesTest : public RoutingCoreTest {
 protected:
  TwoPrimariesTest() : RoutingCoreTest({std::string(kMx1), std::string(kMx2)}) {}
};

TEST_F(TwoPrimariesTest, AnyHealthyPrimaryKeepsRoutingNormal) {
  for (int i = 1; i <= 10; ++i) {
    EXPECT_TRUE(Feed(kMx1, MonoTime{seconds(5 * i)}, false).empty());
    EXPECT_TRUE(Feed(kMx2, MonoTime{seconds(5 * i)}, true).empty());
  }
  EXPECT_FALSE(Core().primary(0).up());
  EXPECT_TRUE(Core().primary(1).up());
  EXPECT_EQ(Core().automatic_mode(), events::ROUTING_MODE_NORMAL);
  // mx2 goes down too: continuity, with the evidence of both.
  Feed(kMx2, MonoTime{seconds(55)}, false);
  Feed(kMx2, MonoTime{seconds(60)}, false);
  std::vector<events::RoutingChanged> changes = Feed(kMx2, MonoTime{seconds(65)}, false);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].mode(), events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ(changes[0].reason(),
            "health: every primary down: mx1.corp.test:25: 3 failed probes in 30 s; "
            "mx2.corp.test:25: 3 failed probes in 30 s");
  EXPECT_EQ(changes[0].probes_size(), 6);
}

TEST_F(TwoPrimariesTest, UnknownPrimaryIsAnError) {
  EXPECT_EQ(Core().OnProbe(MakeProbe("mx9:25", MonoTime{0}, true)).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(RoutingCoreTest, EndToEndFailuresSwitchWhileSmtpStillAnswers) {
  // Postfix answers EHLO, but the canary never reaches the mailbox (Dovecot stopped behind it).
  MonoTime at{0};
  for (int i = 0; i < 12; ++i) EXPECT_TRUE(Feed(kMx1, at += seconds(5), true).empty());
  EXPECT_TRUE(Feed(kMx1, at, false, events::PROBE_KIND_END_TO_END).empty());
  for (int i = 0; i < 12; ++i) EXPECT_TRUE(Feed(kMx1, at += seconds(5), true).empty());
  std::vector<events::RoutingChanged> changes =
      Feed(kMx1, at, false, events::PROBE_KIND_END_TO_END);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].mode(), events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ(changes[0].reason(),
            "health: every primary down: mx1.corp.test:25: 2 end-to-end probes failed in a row");
  // Fast probes alone do not bring it back: the canary must arrive again.
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(Feed(kMx1, at += seconds(5), true).empty());
  changes = Feed(kMx1, at += seconds(5), true, events::PROBE_KIND_END_TO_END);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].mode(), events::ROUTING_MODE_FAILBACK);
}

TEST_F(RoutingCoreTest, OperatorOverridesPerScope) {
  ASSERT_TRUE(
      Core().SetOverride("group:pilots", Override::kForceContinuity, "alice", "drill").ok());
  std::vector<events::RoutingChanged> changes = Core().TakeChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].scope(), "group:pilots");
  EXPECT_EQ(changes[0].mode(), events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ(changes[0].previous_mode(), events::ROUTING_MODE_NORMAL);
  EXPECT_TRUE(changes[0].forced_by_operator());
  EXPECT_EQ(changes[0].operator_name(), "alice");
  EXPECT_EQ(changes[0].reason(), "operator alice: force continuity: drill");
  EXPECT_EQ(Core().ModeOf("group:pilots"), events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ(Core().ModeOf("all"), events::ROUTING_MODE_NORMAL);
  EXPECT_EQ(Core().ModeOf("domain:corp.test"), events::ROUTING_MODE_NORMAL);

  // "all" forced normal: health failures change the automatic mode but no scope's mode.
  ASSERT_TRUE(Core().SetOverride("all", Override::kForceNormal, "bob", "").ok());
  EXPECT_EQ(Core().TakeChanges().at(0).reason(), "operator bob: force normal");
  for (int i = 1; i <= 3; ++i) EXPECT_TRUE(Feed(kMx1, MonoTime{seconds(i)}, false).empty());
  EXPECT_EQ(Core().automatic_mode(), events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ(Core().ModeOf("all"), events::ROUTING_MODE_NORMAL);
  EXPECT_EQ(Core().ModeOf("domain:corp.test"), events::ROUTING_MODE_NORMAL);

  // Back to automatic: the scope takes the automatic mode, and the event says so.
  ASSERT_TRUE(Core().SetOverride("all", Override::kAutomatic, "bob", "primary is dead").ok());
  changes = Core().TakeChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].mode(), events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ(changes[0].previous_mode(), events::ROUTING_MODE_NORMAL);
  EXPECT_TRUE(changes[0].automatic());
  EXPECT_FALSE(changes[0].forced_by_operator());
  EXPECT_EQ(Core().ModeOf("domain:x.test"), events::ROUTING_MODE_CONTINUITY);

  // A domain forced normal during continuity; its case does not matter.
  ASSERT_TRUE(Core().SetOverride("domain:Corp.TEST", Override::kForceNormal, "bob", "").ok());
  changes = Core().TakeChanges();
  EXPECT_EQ(changes.at(0).scope(), "domain:corp.test");
  EXPECT_EQ(changes.at(0).previous_mode(), events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ(Core().ModeOf("domain:corp.test"), events::ROUTING_MODE_NORMAL);
}

TEST_F(RoutingCoreTest, MalformedScopesAreRefused) {
  for (std::string_view scope : {"", "everything", "domain:", "group:", "domain:a b", "All"}) {
    EXPECT_EQ(Core().SetOverride(scope, Override::kForceNormal, "bob", "").code(),
              StatusCode::kInvalidArgument)
        << scope;
  }
  EXPECT_TRUE(Core().TakeChanges().empty());
}

TEST_F(RoutingCoreTest, RestartDuringContinuityWaitsForTheHoldDown) {
  start_.automatic_mode = events::ROUTING_MODE_CONTINUITY;
  start_.overrides["group:pilots"] = Override::kForceContinuity;
  EXPECT_FALSE(Core().primary(0).up());
  EXPECT_EQ(Core().ModeOf("group:pilots"), events::ROUTING_MODE_CONTINUITY);
  MonoTime at{0};
  for (; at < MonoTime{kHoldDownDefault}; at += seconds(5)) {
    EXPECT_TRUE(Feed(kMx1, at, true).empty()) << at.count();
  }
  std::vector<events::RoutingChanged> changes = Feed(kMx1, at, true);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].mode(), events::ROUTING_MODE_FAILBACK);
}

TEST(RoutingStartTest, FromTheCommittedScopes) {
  RoutingTable table;
  table.SetScopeMode("all", {events::ROUTING_MODE_CONTINUITY, /*forced=*/false});
  table.SetScopeMode("group:pilots", {events::ROUTING_MODE_NORMAL, /*forced=*/true});
  RoutingStart start = StartFromScopes(table.ScopeModes());
  EXPECT_EQ(start.automatic_mode, events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ(start.overrides,
            (std::map<std::string, Override>{{"group:pilots", Override::kForceNormal}}));

  table.SetScopeMode("all", {events::ROUTING_MODE_CONTINUITY, /*forced=*/true});
  start = StartFromScopes(table.ScopeModes());
  EXPECT_EQ(start.overrides.at("all"), Override::kForceContinuity);
  RoutingCoreConfig config;
  config.primaries = {std::string(kMx1)};
  RoutingCore core(config, start, MonoTime{0});
  EXPECT_FALSE(core.primary(0).up());  // it must prove itself first
  EXPECT_EQ(core.ModeOf("group:pilots"), events::ROUTING_MODE_NORMAL);
  EXPECT_EQ(core.ModeOf("domain:corp.test"), events::ROUTING_MODE_CONTINUITY);

  // A fresh log: normal, nothing forced, every primary presumed up.
  start = StartFromScopes(RoutingTable().ScopeModes());
  EXPECT_EQ(start.automatic_mode, events::ROUTING_MODE_NORMAL);
  EXPECT_TRUE(start.overrides.empty());
}

}  // namespace
}  // namespace lifeboat::routing
