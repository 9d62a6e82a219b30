#include "modules/routing/primary_health.h"

#include <utility>

#include "appliance/env/check.h"

namespace lifeboat::routing {
namespace {

int64_t WholeSeconds(Duration duration) {
  return std::chrono::duration_cast<std::chrono::seconds>(duration).count();
}

void PushCapped(std::vector<events::ProbeResult>& list, const events::ProbeResult& result) {
  if (list.size() == kProbeEvidenceMax) list.erase(list.begin());
  list.push_back(result);
}

}  // namespace

PrimaryHealth::PrimaryHealth(std::string name, const HealthThresholds& thresholds,
                             bool initially_up, MonoTime now)
    : name_(std::move(name)), thresholds_(thresholds), up_(initially_up), last_failure_(now) {
  LB_CHECK(thresholds_.failures_to_switch > 0);
  LB_CHECK(thresholds_.successes_to_recover > 0);
  LB_CHECK(thresholds_.end_to_end_failures_to_switch > 0);
  LB_CHECK(thresholds_.failure_window > Duration::zero());
  if (!initially_up) reason_ = "down when routing started";
}

bool PrimaryHealth::OnProbe(const Probe& probe) {
  LB_CHECK(probe.record.primary() == name_);
  if (probe.record.kind() == events::PROBE_KIND_END_TO_END) return OnEndToEndProbe(probe);
  return OnFastProbe(probe);
}

void PrimaryHealth::DropFailuresBefore(MonoTime cutoff) {
  while (!failures_in_window_.empty() && failures_in_window_.front().at <= cutoff) {
    failures_in_window_.pop_front();
  }
}

bool PrimaryHealth::OnFastProbe(const Probe& probe) {
  DropFailuresBefore(probe.at - thresholds_.failure_window);
  if (!probe.record.success()) {
    consecutive_successes_ = 0;
    successes_.clear();
    last_failure_ = probe.at;
    failures_in_window_.push_back(probe);
    if (failures_in_window_.size() > kProbeEvidenceMax) failures_in_window_.pop_front();
    if (up_ && failures_in_window_.size() >= thresholds_.failures_to_switch) {
      std::vector<events::ProbeResult> evidence;
      for (const Probe& failure : failures_in_window_) evidence.push_back(failure.record);
      GoDown(std::move(evidence),
             std::to_string(failures_in_window_.size()) + " failed probes in " +
                 std::to_string(WholeSeconds(thresholds_.failure_window)) + " s");
      return true;
    }
    return false;
  }
  ++consecutive_successes_;
  PushCapped(successes_, probe.record);
  return MaybeRecover(probe.at);
}

bool PrimaryHealth::OnEndToEndProbe(const Probe& probe) {
  if (probe.record.success()) {
    end_to_end_failing_ = false;
    end_to_end_failures_.clear();
    PushCapped(successes_, probe.record);
    return MaybeRecover(probe.at);
  }
  end_to_end_failing_ = true;
  last_failure_ = probe.at;
  consecutive_successes_ = 0;
  successes_.clear();
  PushCapped(end_to_end_failures_, probe.record);
  if (up_ && end_to_end_failures_.size() >= thresholds_.end_to_end_failures_to_switch) {
    GoDown(end_to_end_failures_,
           std::to_string(end_to_end_failures_.size()) + " end-to-end probes failed in a row");
    return true;
  }
  return false;
}

bool PrimaryHealth::MaybeRecover(MonoTime now) {
  if (up_) return false;
  if (consecutive_successes_ < thresholds_.successes_to_recover) return false;
  if (end_to_end_failing_) return false;
  if (now - last_failure_ < thresholds_.hold_down) return false;
  up_ = true;
  failures_in_window_.clear();
  evidence_ = successes_;
  reason_ = std::to_string(consecutive_successes_) +
            " successful probes in a row, none failed for " +
            std::to_string(WholeSeconds(now - last_failure_)) + " s";
  return true;
}

void PrimaryHealth::GoDown(std::vector<events::ProbeResult> evidence, std::string reason) {
  LB_CHECK(up_);
  up_ = false;
  consecutive_successes_ = 0;
  successes_.clear();
  evidence_ = std::move(evidence);
  reason_ = std::move(reason);
}

}  // namespace lifeboat::routing
