#include "modules/routing/routing_core.h"

#include <set>
#include <utility>

#include "modules/routing/scope.h"

namespace lifeboat::routing {
namespace {

events::RoutingMode ForcedMode(Override override) {
  LB_CHECK(override != Override::kAutomatic);
  return override == Override::kForceContinuity ? events::ROUTING_MODE_CONTINUITY
                                                : events::ROUTING_MODE_NORMAL;
}

std::string_view OverrideName(Override override) {
  switch (override) {
    case Override::kAutomatic:
      return "automatic";
    case Override::kForceContinuity:
      return "force continuity";
    case Override::kForceNormal:
      return "force normal";
  }
  return "?";
}

}  // namespace

RoutingStart StartFromScopes(const std::map<std::string, ScopeMode>& scopes) {
  RoutingStart start;
  for (const auto& [scope, mode] : scopes) {
    if (scope == kScopeAll) {
      start.automatic_mode =
          mode.mode == events::ROUTING_MODE_UNSPECIFIED ? events::ROUTING_MODE_NORMAL : mode.mode;
    }
    if (!mode.forced) continue;
    start.overrides[scope] = mode.mode == events::ROUTING_MODE_CONTINUITY
                                 ? Override::kForceContinuity
                                 : Override::kForceNormal;
  }
  return start;
}

RoutingCore::RoutingCore(const RoutingCoreConfig& config, const RoutingStart& start, MonoTime now)
    : hold_down_(config.thresholds.hold_down), automatic_mode_(start.automatic_mode) {
  LB_CHECK(!config.primaries.empty());
  LB_CHECK(automatic_mode_ == events::ROUTING_MODE_NORMAL ||
           automatic_mode_ == events::ROUTING_MODE_CONTINUITY ||
           automatic_mode_ == events::ROUTING_MODE_FAILBACK);
  bool initially_up = automatic_mode_ == events::ROUTING_MODE_NORMAL;
  std::set<std::string> seen;
  for (const std::string& name : config.primaries) {
    LB_CHECK(seen.insert(name).second);
    primaries_.push_back(
        std::make_unique<PrimaryHealth>(name, config.thresholds, initially_up, now));
  }
  for (const auto& [scope, override] : start.overrides) {
    LB_CHECK(override != Override::kAutomatic);
    overrides_.emplace(scope, override);
  }
}

Status RoutingCore::OnProbe(const Probe& probe) {
  for (std::unique_ptr<PrimaryHealth>& primary : primaries_) {
    if (primary->name() != probe.record.primary()) continue;
    if (primary->OnProbe(probe) && primary->up()) last_recovered_ = primary->name();
    Evaluate(probe.at);
    return Status::Ok();
  }
  return Status::InvalidArgument("probe of an unknown primary: " + probe.record.primary());
}

bool RoutingCore::AnyPrimaryUp() const {
  for (const std::unique_ptr<PrimaryHealth>& primary : primaries_) {
    if (primary->up()) return true;
  }
  return false;
}

void RoutingCore::Evaluate(MonoTime now) {
  if (switched_ && now - last_switch_ < hold_down_) return;  // at most one switch per hold-down
  bool any_up = AnyPrimaryUp();
  if (automatic_mode_ == events::ROUTING_MODE_CONTINUITY && any_up) {
    const PrimaryHealth* recovered = nullptr;
    for (const std::unique_ptr<PrimaryHealth>& primary : primaries_) {
      if (primary->up() && (recovered == nullptr || primary->name() == last_recovered_)) {
        recovered = primary.get();
      }
    }
    LB_CHECK(recovered != nullptr);
    SwitchAutomatic(events::ROUTING_MODE_FAILBACK, now,
                    "health: " + recovered->name() + " recovered: " + recovered->reason(),
                    recovered->evidence());
  } else if (automatic_mode_ != events::ROUTING_MODE_CONTINUITY && !any_up) {
    std::string reason = "health: every primary down:";
    std::vector<events::ProbeResult> probes;
    for (const std::unique_ptr<PrimaryHealth>& primary : primaries_) {
      reason += " " + primary->name() + ": " + primary->reason() + ";";
      probes.insert(probes.end(), primary->evidence().begin(), primary->evidence().end());
    }
    reason.pop_back();
    SwitchAutomatic(events::ROUTING_MODE_CONTINUITY, now, std::move(reason), std::move(probes));
  }
}

void RoutingCore::OnFailbackDrained(MonoTime now) {
  (void)now;  // not subject to the hold-down: see the class comment
  if (automatic_mode_ != events::ROUTING_MODE_FAILBACK) return;
  events::RoutingMode previous = ModeOf(kScopeAll);
  automatic_mode_ = events::ROUTING_MODE_NORMAL;
  if (overrides_.contains(kScopeAll)) return;
  events::RoutingChanged change;
  change.set_scope(std::string(kScopeAll));
  change.set_mode(events::ROUTING_MODE_NORMAL);
  change.set_previous_mode(previous);
  change.set_reason("failback: every kept mail relayed to the primary");
  changes_.push_back(std::move(change));
}

void RoutingCore::SwitchAutomatic(events::RoutingMode mode, MonoTime now, std::string reason,
                                  std::vector<events::ProbeResult> probes) {
  events::RoutingMode previous = ModeOf(kScopeAll);
  automatic_mode_ = mode;
  switched_ = true;
  last_switch_ = now;
  if (overrides_.contains(kScopeAll)) return;  // "all" is forced: its mode did not change
  events::RoutingChanged change;
  change.set_scope(std::string(kScopeAll));
  change.set_mode(mode);
  change.set_previous_mode(previous);
  change.set_reason(std::move(reason));
  for (events::ProbeResult& probe : probes) *change.add_probes() = std::move(probe);
  changes_.push_back(std::move(change));
}

Status RoutingCore::SetOverride(std::string_view scope, Override override,
                                std::string_view operator_name, std::string_view reason) {
  Result<std::string> normalized = NormalizeScope(scope);
  if (!normalized.ok()) return normalized.status();
  events::RoutingMode previous = ModeOf(*normalized);
  if (override == Override::kAutomatic) {
    if (auto found = overrides_.find(*normalized); found != overrides_.end()) {
      overrides_.erase(found);
    }
  } else {
    overrides_.insert_or_assign(*normalized, override);
  }
  events::RoutingChanged change;
  change.set_scope(*normalized);
  change.set_mode(ModeOf(*normalized));
  change.set_previous_mode(previous);
  std::string text =
      "operator " + std::string(operator_name) + ": " + std::string(OverrideName(override));
  if (!reason.empty()) text += ": " + std::string(reason);
  change.set_reason(std::move(text));
  change.set_forced_by_operator(override != Override::kAutomatic);
  change.set_operator_name(std::string(operator_name));
  change.set_automatic(override == Override::kAutomatic);
  changes_.push_back(std::move(change));
  return Status::Ok();
}

std::vector<events::RoutingChanged> RoutingCore::TakeChanges() {
  std::vector<events::RoutingChanged> taken;
  taken.swap(changes_);
  return taken;
}

events::RoutingMode RoutingCore::ModeOf(std::string_view scope) const {
  if (auto found = overrides_.find(scope); found != overrides_.end()) {
    return ForcedMode(found->second);
  }
  if (scope == kScopeAll) return automatic_mode_;
  return ModeOf(kScopeAll);
}

}  // namespace lifeboat::routing
