#pragma once
// Where mail for a domain goes (RFC 5321 section 5.1), decided from DNS answers: sans-I/O, the
// answers come in (appliance/mx_lookup.h asks the Resolver), the verdict goes out.
//
//   1. The MX answer: records sorted by preference, lowest first; equal preferences in an order
//      drawn from `tie_seed` (section 5.1: the client SHOULD randomize them, to spread the load).
//      No MX record but the name exists: the domain itself is the one exchange, preference 0
//      (the implicit MX). The domain does not exist (NXDOMAIN): permanent failure. A null MX
//      (one record whose exchange is the root, RFC 7505 section 3): permanent failure, the domain
//      takes no mail. A null MX among other records breaks RFC 7505's "MUST NOT" and is skipped;
//      the others are used.
//   2. The addresses of each exchange (A, then AAAA): routes in exchange order. No route at all:
//      temporary failure if any lookup failed temporarily or the exchanges came from real MX
//      records (their A records may be on the way); permanent for an implicit MX whose name has
//      no address (section 5.1: then the domain has no mail server).

#include <cstdint>
#include <string>
#include <vector>

#include "appliance/env/resolver.h"

namespace lifeboat::delivery {

// A domain with more exchanges than this has them cut (the lowest preferences kept): bounds
// the address lookups one mail triggers.
inline constexpr size_t kMxExchangesMax = 10;
inline constexpr uint16_t kSmtpPort = 25;

enum class MxVerdict { kRoutes, kPermanentFailure, kTemporaryFailure };

struct MxPlan {
  MxVerdict verdict = MxVerdict::kTemporaryFailure;
  std::vector<MxRecord> exchanges;  // kRoutes: the hosts to resolve, in the order to try
  bool implicit = false;            // the domain itself, for want of MX records
  std::string detail;               // failures: why ("null MX (RFC 7505)", "NXDOMAIN")
};

MxPlan PlanFromMxAnswer(const std::string& domain, const DnsAnswer& mx_answer, uint64_t tie_seed);

struct MailRoute {
  std::string exchange;  // "mx1.example.com"
  uint16_t preference = 0;
  std::string address;  // "192.0.2.1:25" / "[2001:db8::1]:25": what Network::Connect takes
};

struct MxResolution {
  MxVerdict verdict = MxVerdict::kTemporaryFailure;
  std::vector<MailRoute> routes;  // kRoutes: in the order to try
  std::string detail;
};

// The answers to the A and AAAA questions of one exchange of the plan.
struct ExchangeAddresses {
  DnsAnswer a;
  DnsAnswer aaaa;
};

// `addresses[i]` answers for `plan.exchanges[i]`. A plan that is already a failure is returned
// as the resolution.
MxResolution ResolveRoutes(const std::string& domain, const MxPlan& plan,
                           const std::vector<ExchangeAddresses>& addresses);

}  // namespace lifeboat::delivery
