#include "modules/webmail/address_limits.h"

#include <algorithm>
#include <cmath>

#include "appliance/env/check.h"

namespace lifeboat::webmail {

AddressLimits::AddressLimits(AddressLimitsConfig config) : config_(config) {
  LB_CHECK(config_.connections_per_address_max > 0);
  LB_CHECK(config_.requests_per_address_per_minute_max > 0);
}

bool AddressLimits::OpenConnection(const std::string& address) {
  size_t& open = connections_[address];
  if (open >= config_.connections_per_address_max) {
    if (open == 0) connections_.erase(address);
    return false;
  }
  ++open;
  return true;
}

void AddressLimits::CloseConnection(const std::string& address) {
  auto found = connections_.find(address);
  LB_CHECK(found != connections_.end() && found->second > 0);
  if (--found->second == 0) connections_.erase(found);
}

size_t AddressLimits::open_connections(const std::string& address) const {
  auto found = connections_.find(address);
  return found == connections_.end() ? 0 : found->second;
}

std::optional<std::chrono::seconds> AddressLimits::AdmitRequest(const std::string& address,
                                                                MonoTime now) {
  const double capacity = config_.requests_per_address_per_minute_max;
  const double per_second = capacity / 60.0;
  Bucket& bucket = buckets_.Touch(address);
  if (!bucket.started) {
    bucket = {true, capacity, now};
  } else if (now > bucket.refilled_at) {
    double elapsed = std::chrono::duration<double>(now - bucket.refilled_at).count();
    bucket.tokens = std::min(capacity, bucket.tokens + elapsed * per_second);
    bucket.refilled_at = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  double wait = (1.0 - bucket.tokens) / per_second;
  return std::chrono::seconds(static_cast<int64_t>(std::ceil(wait)));
}

}  // namespace lifeboat::webmail
