#pragma once
// One seeded run of the first simulation (issue #14): a Lifeboat node (sim_node.h), internet
// senders (sim_sender.h) sending to its mailboxes, and faults from the seed (process crash and
// restart, power loss with or without torn pages, a full disk and back, failing fsyncs ended by a
// power cycle, a sender partitioned away, the node's links clogged, a lossy or resetting link), for
// `duration` of virtual time. Then the faults stop, the senders' queues must drain within
// `drain_bound`, the power is cut once more, and the checkers run on the restarted node:
//   - no mail that got 250 is lost: it is in the log and in its mailbox (mailbox projection);
//   - no duplicate beyond the sender's own retries: a mail is filed at most as many times as its
//     data went out complete (more than once only after an unanswered end of data: at-least-once,
//     counted as a documented duplicate);
//   - the projections' state hash equals a rebuild from the log;
//   - liveness: the senders' queues drained within the bound after the faults stopped;
//   - the projection worker reported no error while the disk was healthy.
// "Sometimes" counters say whether the seed exercised what it should (crashes, refusals, ...).
// The trace hash (World) identifies the run: same seed and commit, same hash.
//
// The faults come from the seed (random_faults), from a schedule (a scenario file,
// scenario.h), or both.

#include <cstdint>
#include <string>
#include <vector>

#include "appliance/env/env.h"

namespace lifeboat::simulator {

enum class FaultKind {
  kCrash,          // the process dies; restarted after the fault's length
  kPowerLoss,      // the machine loses power: unsynced writes are gone; back after the length
  kTornPowerLoss,  // as kPowerLoss, and a random page prefix of each unsynced tail survives
  kDiskFull,       // every write fails for space; the node restarts when space returns
  kFsyncFailure,   // every fsync fails; ends in a power cycle
  kPartition,      // one sender cannot reach the node
  kClog,           // the node's links hold every segment
  kBadLink,        // one sender's link loses 5% of its segments and resets 0.5% of them
  kPrimaryOutage,  // the primary mail system is gone (its host dies) for the fault's length
  kPrimaryFlap,    // the primary goes down and up every kPrimaryFlapPeriod for the length
};

// "crash", "power_loss", ...: the names scenario files use.
const char* FaultKindName(FaultKind kind);

// A fault at a given virtual time, for a given length (a scenario's [[fault]]).
struct ScheduledFault {
  Duration at{0};
  Duration length = std::chrono::seconds(30);
  FaultKind kind = FaultKind::kCrash;
  int sender = 0;  // kPartition, kBadLink: which sender (0-based)
};

// A flapping primary is down for this long, then up for as long, again and again (issue #11:
// "up and down every 2 s").
inline constexpr Duration kPrimaryFlapPeriod = std::chrono::seconds(2);

struct SimulationOptions {
  uint64_t seed = 1;
  Duration duration = std::chrono::minutes(10);  // faults and new mail during this time
  Duration drain_bound = std::chrono::minutes(5);
  int senders = 3;
  // Mean pause between two mails of one sender.
  Duration mail_interval_mean = std::chrono::seconds(4);
  // Faults drawn from the seed, one at a time, a mean pause apart.
  bool random_faults = true;
  Duration fault_interval_mean = std::chrono::seconds(60);
  // Faults at given times, besides the random ones. One that would take the node down while it
  // is already down is skipped (the timeline says so).
  std::vector<ScheduledFault> faults;
  // Names the run in reports ("" for the seed's random story).
  std::string scenario;
  // The injected bug (group_commit.h): 250 before the fsync. The checkers must catch it.
  bool acknowledge_before_sync_for_tests = false;
  // A primary mail system (sim_primary.h) that the node's routing service probes, with the
  // routing defaults (modules/routing/health_defaults.h). Its outages and flaps join the random
  // faults, and the routing checkers run (simulation.cc: CheckRouting).
  bool primary = true;
  // Injected routing bugs (test-only): the node runs with these thresholds while the checkers
  // hold it to the defaults it promises. 0: the default.
  uint32_t node_failures_to_switch_for_tests = 0;  // slower detection than promised
  bool node_without_hold_down_for_tests = false;   // flaps with the primary
};

// A stretch of virtual time (an outage, a node down), for the report's timeline.
struct Span {
  double from_seconds = 0;
  double to_seconds = 0;  // the end of the run when it had not ended
};

// One RoutingChanged of the "all" scope, as committed in the node's log.
struct RoutingStep {
  double at_seconds = 0;
  std::string mode;  // "normal", "continuity", "failback"
  std::string reason;
  bool forced = false;
};

struct TimelineEntry {
  double at_seconds = 0;  // virtual
  std::string what;
};

struct SimulationReport {
  uint64_t seed = 0;
  std::string scenario;
  double virtual_seconds = 0;
  uint64_t events = 0;
  uint64_t trace_hash = 0;
  // Mail.
  uint64_t mails_sent = 0;  // queued by the senders
  uint64_t mails_acked = 0;
  uint64_t mails_kept = 0;  // acked, in the log and in the mailbox after the last restart
  uint64_t mails_lost = 0;  // acked, and not both
  uint64_t duplicates_documented = 0;
  uint64_t duplicates_unexplained = 0;
  uint64_t mails_rejected = 0;
  // Faults injected.
  uint64_t crashes = 0;
  // Including the power cycles that end fsync-failure periods and the last cut before the checks.
  uint64_t power_losses = 0;
  uint64_t torn_power_losses = 0;
  uint64_t disk_full_periods = 0;
  uint64_t sync_failure_periods = 0;  // each ends in a power cycle
  uint64_t partitions = 0;
  uint64_t bad_links = 0;
  // Sometimes counters: what the faults caused.
  uint64_t disk_full_refusals = 0;
  uint64_t temporary_failures = 0;
  uint64_t sessions_cut = 0;
  uint64_t connect_failures = 0;
  uint64_t reply_timeouts = 0;
  uint64_t connection_resets = 0;
  uint64_t retransmitted_segments = 0;
  bool drained = false;
  bool state_hash_matches = false;
  // Routing (when the run had a primary).
  bool primary = false;
  uint64_t primary_outages = 0;  // outages and flap periods injected
  uint64_t failovers = 0;        // switches to continuity
  uint64_t failbacks = 0;        // switches out of continuity
  std::vector<Span> primary_down;
  std::vector<Span> node_down;
  std::vector<RoutingStep> routing;
  // From the first outage's start to the switch to continuity; < 0 when there was none.
  double first_detection_seconds = -1;
  // Mails that got their 250 while the primary was down (kept by Lifeboat alone).
  uint64_t mails_acked_primary_down = 0;
  std::vector<std::string> violations;
  // Fault starts and ends, skipped faults, restarts, the drain and the last power cut.
  std::vector<TimelineEntry> timeline;
  // Mail flow: 250s received per virtual minute (index 0: the first minute).
  std::vector<uint64_t> acked_per_minute;

  bool ok() const { return violations.empty(); }
  // The drill report's picture: the primary's outages, the node's downtime, the routing mode and
  // the 250s per minute on one time axis (SVG 1.1, self-contained, no script).
  std::string ToSvg() const;
  std::string RoutingJson() const;
  // A scenario run with a primary, told in sentences for the operator (drill_summary.cc).
  std::string DrillSummary() const;
  // Every figure above as one JSON object (`lifeboat sim --json FILE`).
  std::string ToJson() const;
  // A few lines for a person: figures, faults, counters, the hash, and on failure the replay.
  std::string ToText() const;
};

SimulationReport RunSimulation(const SimulationOptions& options);

}  // namespace lifeboat::simulator
