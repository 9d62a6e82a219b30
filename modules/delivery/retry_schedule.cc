#include "modules/delivery/retry_schedule.h"

#include "appliance/env/check.h"

namespace lifeboat::delivery {

Duration RetryDelay(const RetryPolicy& policy, uint32_t attempt, uint64_t random) {
  LB_CHECK(attempt >= 1);
  LB_CHECK(policy.multiplier >= 1);
  LB_CHECK(policy.jitter_fraction >= 0 && policy.jitter_fraction < 1);
  Duration interval = policy.initial;
  for (uint32_t i = 1; i < attempt && interval < policy.interval_max; ++i) {
    interval *= policy.multiplier;
  }
  if (interval > policy.interval_max) interval = policy.interval_max;
  // random / 2^64 in [0, 1): the share of the jitter taken off.
  double share = static_cast<double>(random >> 11) / static_cast<double>(uint64_t{1} << 53);
  auto jitter = static_cast<Duration::rep>(static_cast<double>(interval.count()) *
                                           policy.jitter_fraction * share);
  return interval - Duration(jitter);
}

std::optional<WallTime> NextAttemptTime(const RetryPolicy& policy, uint32_t attempt,
                                        WallTime first_attempt, WallTime now, uint64_t random) {
  WallTime next = now + std::chrono::duration_cast<WallTime>(RetryDelay(policy, attempt, random));
  if (next > first_attempt + std::chrono::duration_cast<WallTime>(policy.maximum_age)) {
    return std::nullopt;
  }
  return next;
}

}  // namespace lifeboat::delivery
