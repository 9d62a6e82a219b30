#pragma once
// Scenario files (issue #14): a simulation's length, mail load and fault schedule in TOML, so that
// a drill is a file an operator can read, keep and replay (`lifeboat sim --scenario FILE --seed
// N`). The seed still draws everything the file leaves open (mail sizes and recipients, pauses,
// which random faults, torn pages), so one file and one seed give one trace.
//
//   name = "power-cuts"                # shown in reports; default: the file's name
//   description = "..."                # free text
//   duration_seconds = 600             # new mail and faults during this much virtual time
//   drain_bound_seconds = 300          # then the senders' queues must drain within this
//   [mail]
//   senders = 3                        # internet senders, 192.0.2.1 ...
//   interval_mean_ms = 4000            # mean pause between two mails of one sender
//   [random_faults]
//   enabled = false                    # faults drawn from the seed as well (default false)
//   interval_mean_seconds = 60
//   [[fault]]                          # one per scheduled fault
//   at_seconds = 120                   # virtual time it starts
//   length_seconds = 30                # how long it lasts (a crash: the time until restart)
//   kind = "power_loss"                # crash | power_loss | torn_power_loss | disk_full |
//                                      # fsync_failure | partition | clog | bad_link |
//                                      # primary_outage | primary_flap (the primary mail system)
//   sender = 0                         # partition, bad_link: which sender (0-based)
//
// Unknown keys and sections are errors (a typo must not silently drop a fault).

#include <string>
#include <string_view>

#include "appliance/env/status.h"
#include "simulator/simulation.h"

namespace lifeboat::simulator {

inline constexpr size_t kScenarioFileBytesMax = 1u << 20;
inline constexpr int kScenarioSendersMax = 200;
inline constexpr int64_t kScenarioDurationSecondsMax = 7 * 24 * 3600;

// The options a scenario sets (seed left at its default). `origin` names the text in errors.
Result<SimulationOptions> ParseScenario(std::string_view text, std::string_view origin);
Result<SimulationOptions> LoadScenario(const std::string& path);

}  // namespace lifeboat::simulator
