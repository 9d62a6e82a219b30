#pragma once
// Message rate per client, as a token bucket in its GCRA form (ITU-T I.371; the "virtual
// scheduling" algorithm): each client has a theoretical arrival time; a message is allowed when
// it is not earlier than that time minus the burst tolerance. Integer time only, so the same
// inputs always give the same answers. Time is passed in (never read here). Shared by every
// session of a listener; loop thread only.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "appliance/env/env.h"

namespace lifeboat::smtp {

class MessageRateLimiter {
 public:
  // `burst_max` messages at once, then one per `interval`. `clients_max` bounds memory.
  MessageRateLimiter(uint32_t burst_max, Duration interval, size_t clients_max);

  // True and one message counted if the client may send one more message at `now`.
  bool TryAcquire(std::string_view peer_ip, MonoTime now);
  size_t tracked_clients() const { return arrival_.size(); }

 private:
  void DropIdleClients(MonoTime now);

  uint32_t burst_max_;
  Duration interval_;
  size_t clients_max_;
  // Client key -> theoretical arrival time of its next message. A client whose time is in the
  // past has a full bucket: it can be forgotten without changing any answer.
  std::unordered_map<std::string, MonoTime> arrival_;
};

}  // namespace lifeboat::smtp
