// The drill report in sentences (SimulationReport::DrillSummary): what an operator asks after a
// failover drill. Was the outage noticed, how fast, was every mail kept while the primary was
// gone, when did mail go home, and did anything break the rules.
#include <cstdio>
#include <string>

#include "simulator/simulation.h"

namespace lifeboat::simulator {
namespace {

std::string Sentence(const char* format, auto... values) {
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer), format, values...);
  return std::string("  ") + buffer + "\n";
}

unsigned long long U(uint64_t value) {
  return static_cast<unsigned long long>(value);
}

}  // namespace

std::string SimulationReport::DrillSummary() const {
  std::string text = "  Drill summary:\n";
  if (primary_down.empty()) {
    return text + Sentence("The primary mail system never went down in this run.");
  }
  const Span& first = primary_down.front();
  const Span& last = primary_down.back();
  text += Sentence("The primary mail system went down at %.0f s.", first.from_seconds);
  if (first_detection_seconds >= 0) {
    text += Sentence("Lifeboat noticed and switched to continuity %.1f s later, by itself.",
                     first_detection_seconds);
  } else if (failovers == 0) {
    text += Sentence("Lifeboat never switched to continuity.");
  }
  text += Sentence("While the primary was down, Lifeboat accepted %llu mails (250) and kept them.",
                   U(mails_acked_primary_down));
  if (last.to_seconds >= 0) {
    text += Sentence("It was back for good at %.0f s, after %zu outages (a flap counts each time).",
                     last.to_seconds, primary_down.size());
  }
  for (const RoutingStep& step : routing) {
    if (step.mode == "continuity" || step.at_seconds < first.from_seconds) continue;
    text += Sentence("Routing left continuity for %s (the kept mail goes home) at %.0f s.",
                     step.mode.c_str(), step.at_seconds);
    if (last.to_seconds >= 0 && step.at_seconds >= last.to_seconds) {
      text += Sentence(
          "That is %.0f s after its return: the hold-down lets a rebooting primary "
          "settle before mail goes home.",
          step.at_seconds - last.to_seconds);
    }
    break;
  }
  text += Sentence(
      "%llu switch(es) to continuity, %llu back. Of %llu mails acknowledged in the "
      "whole run, %llu were lost.",
      U(failovers), U(failbacks), U(mails_acked), U(mails_lost));
  text += ok() ? Sentence("Every check passed.")
               : Sentence("%zu checks FAILED: see the violations below.", violations.size());
  return text;
}

}  // namespace lifeboat::simulator
