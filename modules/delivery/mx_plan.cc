#include "modules/delivery/mx_plan.h"

#include <algorithm>

#include "appliance/env/check.h"

namespace lifeboat::delivery {
namespace {

// SplitMix64: a small deterministic generator, enough to shuffle ties from a seed the caller
// drew from its Env.
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

MxPlan Failure(MxVerdict verdict, std::string detail) {
  MxPlan plan;
  plan.verdict = verdict;
  plan.detail = std::move(detail);
  return plan;
}

}  // namespace

MxPlan PlanFromMxAnswer(const std::string& domain, const DnsAnswer& mx_answer, uint64_t tie_seed) {
  switch (mx_answer.outcome) {
    case DnsAnswer::Outcome::kTemporaryFailure:
      return Failure(MxVerdict::kTemporaryFailure,
                     "MX lookup for " + domain + ": " + mx_answer.detail);
    case DnsAnswer::Outcome::kNameError:
      return Failure(MxVerdict::kPermanentFailure, "domain " + domain + " does not exist");
    case DnsAnswer::Outcome::kNoData: {
      MxPlan plan;
      plan.verdict = MxVerdict::kRoutes;
      plan.implicit = true;
      plan.exchanges.push_back(MxRecord{0, domain});
      return plan;
    }
    case DnsAnswer::Outcome::kAnswer:
      break;
  }
  std::vector<MxRecord> records;
  for (const MxRecord& record : mx_answer.mx) {
    if (!record.exchange.empty()) records.push_back(record);
  }
  if (records.empty()) {
    return Failure(MxVerdict::kPermanentFailure,
                   "domain " + domain + " accepts no mail (null MX, RFC 7505)");
  }
  // Shuffle first (Fisher-Yates from the seed), then a stable sort: equal preferences keep
  // the shuffled order.
  uint64_t state = tie_seed;
  for (size_t i = records.size(); i > 1; --i) {
    std::swap(records[i - 1], records[NextRandom(state) % i]);
  }
  std::stable_sort(records.begin(), records.end(), [](const MxRecord& a, const MxRecord& b) {
    return a.preference < b.preference;
  });
  if (records.size() > kMxExchangesMax) records.resize(kMxExchangesMax);
  MxPlan plan;
  plan.verdict = MxVerdict::kRoutes;
  plan.exchanges = std::move(records);
  return plan;
}

MxResolution ResolveRoutes(const std::string& domain, const MxPlan& plan,
                           const std::vector<ExchangeAddresses>& addresses) {
  MxResolution resolution;
  if (plan.verdict != MxVerdict::kRoutes) {
    resolution.verdict = plan.verdict;
    resolution.detail = plan.detail;
    return resolution;
  }
  LB_CHECK(addresses.size() == plan.exchanges.size());
  bool temporary = false;
  std::string last_failure;
  for (size_t i = 0; i < plan.exchanges.size(); ++i) {
    const MxRecord& exchange = plan.exchanges[i];
    for (const DnsAnswer* answer : {&addresses[i].a, &addresses[i].aaaa}) {
      if (answer->outcome == DnsAnswer::Outcome::kTemporaryFailure) {
        temporary = true;
        last_failure = exchange.exchange + ": " + answer->detail;
      }
      for (const std::string& address : answer->addresses) {
        const bool v6 = address.find(':') != std::string::npos;
        MailRoute route;
        route.exchange = exchange.exchange;
        route.preference = exchange.preference;
        route.address = (v6 ? "[" + address + "]" : address) + ":" + std::to_string(kSmtpPort);
        resolution.routes.push_back(std::move(route));
      }
    }
  }
  if (!resolution.routes.empty()) {
    resolution.verdict = MxVerdict::kRoutes;
    return resolution;
  }
  if (temporary) {
    resolution.verdict = MxVerdict::kTemporaryFailure;
    resolution.detail = "address lookup failed: " + last_failure;
  } else if (plan.implicit) {
    resolution.verdict = MxVerdict::kPermanentFailure;
    resolution.detail = "domain " + domain + " has no MX and no address record";
  } else {
    resolution.verdict = MxVerdict::kTemporaryFailure;
    resolution.detail = "no MX host of " + domain + " has an address";
  }
  return resolution;
}

}  // namespace lifeboat::delivery
