#pragma once
// IPv4 and IPv6 addresses and CIDR ranges (RFC 4632, RFC 4291 2.3), for the trusted-relay list
// and for keying per-client limits. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, RFC 4291
// 2.5.5.2), which a dual-stack listener reports for IPv4 peers, are treated as the IPv4 address.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/status.h"

namespace lifeboat::smtp {

struct IpAddress {
  bool is_v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

  size_t bit_count() const { return is_v6 ? 128 : 32; }
  bool operator==(const IpAddress&) const = default;
};

std::optional<IpAddress> ParseIpAddress(std::string_view text);

// The key per-client limits count under: the IPv4 address, or the IPv6 /64 (one subscriber gets
// a whole /64, RFC 6177, so counting single IPv6 addresses would count nothing). `text` that is
// not an address keys as itself.
std::string ClientKey(std::string_view text);

struct CidrRange {
  IpAddress network;
  size_t prefix_bits = 0;

  bool Contains(const IpAddress& address) const;
};

class CidrList {
 public:
  // Each entry is "address/prefix" or a single address. Host bits set under the prefix are an
  // error ("10.0.0.1/8"): it usually means a typo, and silently widening a trust list is unsafe.
  static Result<CidrList> Parse(const std::vector<std::string>& entries);

  bool Contains(const IpAddress& address) const;
  bool Contains(std::string_view address) const;  // false when `address` does not parse
  bool empty() const { return ranges_.empty(); }

 private:
  std::vector<CidrRange> ranges_;
};

}  // namespace lifeboat::smtp
