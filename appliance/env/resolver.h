#pragma once
// DNS lookups for outbound delivery (issue #11 Build 5): MX, A and AAAA questions, answered
// asynchronously on the loop. An interface, like the Network (appliance/env/network.h), so that
// a simulated node answers from memory: production is appliance/net/udp_dns_resolver.h (UDP to
// the configured nameserver, or /etc/resolv.conf's), and the MX logic on top of it
// (modules/delivery/mx_plan.h, appliance/mx_lookup.h) never sees a socket.
//
// Why not beside the Network inside the Env: the network's addresses are numeric on purpose (a
// name lookup blocks and a simulated network has no DNS); the one component that needs names,
// outbound delivery, takes a Resolver& next to its Env& (STYLE.md: a component takes the
// interface it needs).
//
// Threading: loop thread only; callbacks run on the loop thread, never inside Query().
// Ownership: the Resolver outlives every PendingLookup; destroying a PendingLookup cancels it
// (its callback never runs).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "appliance/env/status.h"

namespace lifeboat {

// RFC 1035 section 3.2.2 and RFC 3596 section 2.1.
enum class DnsType : uint16_t { kA = 1, kMx = 15, kAaaa = 28 };

struct MxRecord {
  uint16_t preference = 0;
  std::string exchange;  // lower case, no trailing dot; "" for the root (a null MX, RFC 7505)
};

struct DnsAnswer {
  enum class Outcome {
    kAnswer,            // records of the asked type (possibly after a CNAME)
    kNoData,            // the name exists, no record of that type (RFC 2308 section 2.2)
    kNameError,         // NXDOMAIN: the name does not exist (RFC 2308 section 2.1)
    kTemporaryFailure,  // SERVFAIL, REFUSED, a timeout, a malformed or truncated answer
  };
  Outcome outcome = Outcome::kTemporaryFailure;
  std::vector<MxRecord> mx;            // for kMx, in the order received
  std::vector<std::string> addresses;  // for kA / kAaaa: "192.0.2.1", "2001:db8::1"
  std::string detail;                  // why, for logs and DSNs: "SERVFAIL", "no answer in 2 s"
};

class PendingLookup {
 public:
  virtual ~PendingLookup() = default;
};

class Resolver {
 public:
  using Done = std::function<void(DnsAnswer answer)>;
  virtual ~Resolver() = default;
  // Asks for `type` records of `name` (no trailing dot needed). Errors known at once: a name
  // that is not a DNS name (InvalidArgument). Otherwise `done` runs once, later.
  virtual Result<std::unique_ptr<PendingLookup>> Query(const std::string& name, DnsType type,
                                                       Done done) = 0;
};

}  // namespace lifeboat
