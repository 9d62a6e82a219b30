#pragma once
// When to try a mail again after a temporary failure (issue #11 Build 3): exponential backoff
// with jitter, capped, and a maximum age after which the mail bounces with a DSN (RFC 5321
// 4.5.4.1: retry for at least 4-5 days). The random value comes from the caller (the Env's seeded
// source), so a simulation replays the same schedule.

#include <chrono>
#include <cstdint>
#include <optional>

#include "appliance/env/env.h"

namespace lifeboat::delivery {

using std::chrono_literals::operator""min;
using std::chrono_literals::operator""h;

// The first retry after this long. The primary sits on the same network: a 4xx from it is a
// momentary condition (a full queue, a restarting transport) more often than an outage, and an
// outage is the routing core's business (it switches to continuity within seconds), so retrying
// after a minute costs little. Postfix's 300 s minimal_backoff_time targets internet hosts.
inline constexpr Duration kRetryInitialDefault = 1min;
// Each retry waits twice as long as the one before ...
inline constexpr uint32_t kRetryMultiplierDefault = 2;
// ... up to this. Postfix caps at 4000 s; a quarter of an hour keeps a mail to a primary that
// had a long bad spell from waiting an hour once the primary is well again.
inline constexpr Duration kRetryIntervalMaxDefault = 15min;
// Then the mail bounces. RFC 5321 4.5.4.1 asks for at least 4-5 days; Postfix's
// maximal_queue_lifetime is 5 days.
inline constexpr Duration kMaximumAgeDefault = 5 * 24h;
// Each wait is shortened by up to this fraction, drawn from the random value: mail deferred
// together (a primary that answered 421 to everything for a minute) is not retried together.
inline constexpr double kRetryJitterFractionDefault = 0.25;

struct RetryPolicy {
  Duration initial = kRetryInitialDefault;
  uint32_t multiplier = kRetryMultiplierDefault;
  Duration interval_max = kRetryIntervalMaxDefault;
  Duration maximum_age = kMaximumAgeDefault;
  double jitter_fraction = kRetryJitterFractionDefault;
};

// The wait before attempt `attempt + 1` after attempt number `attempt` (1 for the first try)
// failed: initial x multiplier^(attempt-1), capped at interval_max, minus the jitter
// (`random` uniform over all uint64 values).
Duration RetryDelay(const RetryPolicy& policy, uint32_t attempt, uint64_t random);

// When to try again, or nullopt when that would be later than `first_attempt + maximum_age`:
// then the mail bounces now.
std::optional<WallTime> NextAttemptTime(const RetryPolicy& policy, uint32_t attempt,
                                        WallTime first_attempt, WallTime now, uint64_t random);

}  // namespace lifeboat::delivery
