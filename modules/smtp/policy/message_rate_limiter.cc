#include "modules/smtp/policy/message_rate_limiter.h"

#include <algorithm>

#include "appliance/env/check.h"
#include "modules/smtp/policy/cidr.h"

namespace lifeboat::smtp {

MessageRateLimiter::MessageRateLimiter(uint32_t burst_max, Duration interval, size_t clients_max)
    : burst_max_(burst_max), interval_(interval), clients_max_(clients_max) {
  LB_CHECK(burst_max_ > 0);
  LB_CHECK(interval_ > Duration::zero());
  LB_CHECK(clients_max_ > 0);
}

bool MessageRateLimiter::TryAcquire(std::string_view peer_ip, MonoTime now) {
  std::string key = ClientKey(peer_ip);
  auto it = arrival_.find(key);
  if (it == arrival_.end()) {
    if (arrival_.size() >= clients_max_) DropIdleClients(now);
    // Still full of clients that are all inside their burst: refuse rather than forget one,
    // which would hand it a fresh burst. The refusal is a 4xx: the sender retries.
    if (arrival_.size() >= clients_max_) return false;
    it = arrival_.emplace(std::move(key), now).first;
  }
  const Duration tolerance = interval_ * (burst_max_ - 1);
  MonoTime arrival = std::max(it->second, now);
  if (arrival - tolerance > now) return false;
  it->second = arrival + interval_;
  return true;
}

void MessageRateLimiter::DropIdleClients(MonoTime now) {
  std::erase_if(arrival_, [now](const auto& entry) { return entry.second <= now; });
}

}  // namespace lifeboat::smtp
