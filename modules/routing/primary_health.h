#pragma once
// The health of one primary mail server as a sans-I/O state machine (issue #11 Build 1). The
// driver probes the primary and hands every result in with the time it ended; the machine reads
// no clock. Hysteresis:
//   up -> down   when `failures_to_switch` fast probes (TCP connect, banner + EHLO) failed within
//                `failure_window`, or `end_to_end_failures_to_switch` end-to-end probes failed in
//                a row (a primary that accepts mail but no longer delivers it);
//   down -> up   after `successes_to_recover` consecutive successful fast probes, no failure of
//                any kind for `hold_down`, and, if the last end-to-end probe failed, one that
//                succeeded since.
// Thread-safety: none; the routing core owns it on the loop thread.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "appliance/env/env.h"
#include "eventlog/events.pb.h"
#include "modules/routing/health_defaults.h"

namespace lifeboat::routing {

struct HealthThresholds {
  uint32_t failures_to_switch = kFailuresToSwitchDefault;
  Duration failure_window = kFailureWindowDefault;
  uint32_t successes_to_recover = kSuccessesToRecoverDefault;
  Duration hold_down = kHoldDownDefault;
  uint32_t end_to_end_failures_to_switch = kEndToEndFailuresToSwitchDefault;
};

// One probe's outcome as the driver reports it. `at` is the monotonic time the probe ended;
// `record.at_unix_micros` its wall time, for the event.
struct Probe {
  MonoTime at{0};
  events::ProbeResult record;
};

class PrimaryHealth {
 public:
  // A primary starts up (`initially_up`) or down; a down start recovers like any other (from
  // `now`: the hold-down counts from then), so a node restarted during continuity does not fail
  // back before the primary proved itself.
  PrimaryHealth(std::string name, const HealthThresholds& thresholds, bool initially_up,
                MonoTime now);

  // Folds one result in. Returns true when it changed up() (the evidence is then current).
  bool OnProbe(const Probe& probe);

  bool up() const { return up_; }
  const std::string& name() const { return name_; }
  // The results that caused the last change of up(), oldest first (at most kProbeEvidenceMax):
  // the failures in the window (or the failed end-to-end probes) for a change to down, the run of
  // successes for a change to up.
  const std::vector<events::ProbeResult>& evidence() const { return evidence_; }
  // Why the last change happened, for the event's reason: "3 failed probes in 30 s".
  const std::string& reason() const { return reason_; }

 private:
  void DropFailuresBefore(MonoTime cutoff);
  bool OnFastProbe(const Probe& probe);
  bool OnEndToEndProbe(const Probe& probe);
  bool MaybeRecover(MonoTime now);
  void GoDown(std::vector<events::ProbeResult> evidence, std::string reason);

  const std::string name_;
  const HealthThresholds thresholds_;
  bool up_;
  std::deque<Probe> failures_in_window_;                  // fast-probe failures, oldest first
  std::vector<events::ProbeResult> end_to_end_failures_;  // consecutive, oldest first
  bool end_to_end_failing_ = false;             // the last end-to-end result was a failure
  std::vector<events::ProbeResult> successes_;  // consecutive fast successes, capped
  uint32_t consecutive_successes_ = 0;
  MonoTime last_failure_;  // or the construction time of a primary that starts down
  std::vector<events::ProbeResult> evidence_;
  std::string reason_;
};

}  // namespace lifeboat::routing
