#pragma once
// Listener-wide policy limits, filled by the driver from configuration. Defaults are the named
// constants (STYLE.md rule 8). Per-session protocol limits are in modules/smtp/session_limits.h.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "appliance/env/env.h"

namespace lifeboat::smtp {

using std::chrono_literals::operator""s;

// Concurrent sessions from one client (Postfix smtpd_client_connection_count_limit is 50; a
// sending MTA rarely needs more than a handful) and in total on one listener.
inline constexpr size_t kSmtpSessionsPerIpMax = 20;
inline constexpr size_t kSmtpSessionsTotalMax = 1000;
// Message rate per client as a token bucket: a burst, then one message per interval.
inline constexpr uint32_t kSmtpMessageBurstPerIpMax = 60;
inline constexpr Duration kSmtpMessageIntervalPerIp = 1s;
// Clients whose rate is tracked at once; idle (full) buckets are dropped first.
inline constexpr size_t kSmtpRateTrackedClientsMax = 100'000;

struct PolicyConfig {
  size_t sessions_per_ip_max = kSmtpSessionsPerIpMax;
  size_t sessions_total_max = kSmtpSessionsTotalMax;
  uint32_t message_burst_per_ip_max = kSmtpMessageBurstPerIpMax;
  Duration message_interval_per_ip = kSmtpMessageIntervalPerIp;
  size_t rate_tracked_clients_max = kSmtpRateTrackedClientsMax;
  // Clients allowed to relay to domains that are not ours ("10.0.0.0/8", "2001:db8::/32",
  // "192.0.2.7"). Empty: nobody relays.
  std::vector<std::string> trusted_networks;
};

}  // namespace lifeboat::smtp
