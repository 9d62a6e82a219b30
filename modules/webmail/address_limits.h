#pragma once
// Per-address limits of the webmail listener (issue 12 item 1: "limits on ... connections per
// address, request rate"; DESIGN.md "Security model": sessions per IP). Sans-I/O: the driver
// asks before it serves a connection or a request, with the time from the Env.
//   - connections: at most connections_per_address_max open at once from one address; one more
//     is answered 503 and closed;
//   - requests: a token bucket per address, requests_per_address_per_minute_max tokens refilled
//     evenly over a minute, a full bucket to start with (a page load's burst passes); an empty
//     bucket answers 429 with Retry-After.
// An office behind one NAT address shares both, so the defaults are generous; login attempts
// have their own, much lower, limits (modules/auth/login_throttle.h).
//
// Memory: buckets live in an LRU table of kAddressesTrackedMax entries (an attacker choosing
// addresses forgets the oldest, which only gives a forgotten address a full bucket again);
// connection counts hold only addresses with a connection open. Loop thread only.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "appliance/env/env.h"
#include "modules/auth/lru_table.h"

namespace lifeboat::webmail {

inline constexpr size_t kConnectionsPerAddressMax = 64;
inline constexpr uint32_t kRequestsPerAddressPerMinuteMax = 1200;
inline constexpr size_t kAddressesTrackedMax = 100'000;

struct AddressLimitsConfig {
  size_t connections_per_address_max = kConnectionsPerAddressMax;
  uint32_t requests_per_address_per_minute_max = kRequestsPerAddressPerMinuteMax;
};

class AddressLimits {
 public:
  explicit AddressLimits(AddressLimitsConfig config);

  // A new connection from `address`: false when it already has the maximum open (the caller
  // refuses it and must not call CloseConnection for it).
  bool OpenConnection(const std::string& address);
  // An admitted connection from `address` closed.
  void CloseConnection(const std::string& address);
  // A request from `address` at `now`: nullopt when admitted, else how long until one would be.
  std::optional<std::chrono::seconds> AdmitRequest(const std::string& address, MonoTime now);

  size_t open_connections(const std::string& address) const;

 private:
  struct Bucket {
    bool started = false;
    double tokens = 0;
    MonoTime refilled_at{};
  };

  AddressLimitsConfig config_;
  std::unordered_map<std::string, size_t> connections_;
  auth::LruTable<Bucket> buckets_{kAddressesTrackedMax};
};

}  // namespace lifeboat::webmail
