#pragma once
// The routing decision core (issue #11 Build 1; DESIGN.md "Modes and routing"), sans-I/O: probe
// results and operator commands in, RoutingChanged events out. It reads no clock: every input
// carries its time.
//
// Several primaries: the deployment is healthy while any one of them is up (PrimaryHealth says
// when), so the automatic mode is
//   normal     -> continuity  when every primary is down;
//   continuity -> failback    when one has recovered (failback drains what was kept);
//   failback   -> normal      when the driver reports the drain done (OnFailbackDrained);
//   failback   -> continuity  when every primary is down again.
// The health changes of a primary already carry their hysteresis; on top, the automatic mode
// changes at most once per hold-down (the drain-done step excepted: it follows from the previous
// switch, not from health), so a primary that flaps cannot flap the routing.
//
// Overrides: an operator forces a scope (all, a domain, a group) to continuity or normal, or
// hands it back to automatic. A scope's mode is its own override if it has one, else the mode of
// "all" (its override, else the automatic mode). Every change of a scope's mode, and every
// operator command, is one events::RoutingChanged with scope, reason and (for automatic changes)
// the probe results that caused it. Automatic changes concern the scope "all" only: a scope in
// automatic mode follows "all" in the routing table.
//
// Driver contract: construct with the committed state (the routing table's modes) on the leader;
// feed every probe result to OnProbe() and operator commands to SetOverride(); after each call
// take the events with TakeChanges() and propose them in order. Re-evaluate with Evaluate() at
// the probe interval even without new probes, so a switch held back by the hold-down happens.
// Threading: loop thread only.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/status.h"
#include "modules/routing/primary_health.h"
#include "modules/routing/routing_table.h"

namespace lifeboat::routing {

enum class Override { kAutomatic, kForceContinuity, kForceNormal };

struct RoutingCoreConfig {
  std::vector<std::string> primaries;  // "host:port", at least one, no duplicates
  HealthThresholds thresholds;
};

// What the log says when the core starts (the routing table's committed modes).
struct RoutingStart {
  // The automatic mode of "all". Continuity or failback start every primary down: they must
  // prove themselves again before anything is relayed.
  events::RoutingMode automatic_mode = events::ROUTING_MODE_NORMAL;
  std::map<std::string, Override> overrides;  // normalized scope -> forced mode (no kAutomatic)
};

// The start state from the routing table's committed scopes (RoutingTable::ScopeModes). When
// "all" is forced, the log does not say what health decided meanwhile: the automatic mode is
// taken to be the forced one (forced continuity: the primaries must prove themselves; forced
// normal: they are presumed up until probes say otherwise).
RoutingStart StartFromScopes(const std::map<std::string, ScopeMode>& scopes);

class RoutingCore {
 public:
  RoutingCore(const RoutingCoreConfig& config, const RoutingStart& start, MonoTime now);

  // Folds a probe result in (its primary must be configured) and re-evaluates at probe.at.
  // InvalidArgument for an unknown primary.
  Status OnProbe(const Probe& probe);
  // Re-evaluates the automatic mode at `now` (see the class comment).
  void Evaluate(MonoTime now);
  // The failback drain finished: failback -> normal. Ignored in any other mode.
  void OnFailbackDrained(MonoTime now);
  // An operator command. InvalidArgument for a malformed scope. Always produces one event.
  Status SetOverride(std::string_view scope, Override override, std::string_view operator_name,
                     std::string_view reason);

  std::vector<events::RoutingChanged> TakeChanges();

  events::RoutingMode automatic_mode() const { return automatic_mode_; }
  // The mode `scope` (normalized) has now.
  events::RoutingMode ModeOf(std::string_view scope) const;
  const PrimaryHealth& primary(size_t index) const { return *primaries_.at(index); }

 private:
  bool AnyPrimaryUp() const;
  void SwitchAutomatic(events::RoutingMode mode, MonoTime now, std::string reason,
                       std::vector<events::ProbeResult> probes);

  const Duration hold_down_;
  std::vector<std::unique_ptr<PrimaryHealth>> primaries_;
  events::RoutingMode automatic_mode_;
  std::map<std::string, Override, std::less<>> overrides_;
  bool switched_ = false;  // an automatic switch happened since the core started
  MonoTime last_switch_{0};
  std::string last_recovered_;  // the primary whose recovery would end continuity
  std::vector<events::RoutingChanged> changes_;
};

}  // namespace lifeboat::routing
