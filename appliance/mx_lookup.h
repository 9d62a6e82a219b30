#pragma once
// Finds where mail for a domain goes (issue #11 Build 5; RFC 5321 section 5.1): asks the
// Resolver for the domain's MX records, then for the A and AAAA records of each exchange, and
// hands the answers to the sans-I/O planner (modules/delivery/mx_plan.h), which decides the
// routes in order or a permanent / temporary failure (a null MX, RFC 7505, is permanent).
//
// Ownership: `resolver` and `env` outlive the lookup; destroying it cancels the questions in
// flight and `done` never runs. The owner may destroy it from inside `done`.
// Threading: loop thread only; `done` runs once, never inside Start().

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/resolver.h"
#include "modules/delivery/mx_plan.h"

namespace lifeboat {

class MxLookup {
 public:
  using Done = std::function<void(delivery::MxResolution resolution)>;

  MxLookup(Env& env, Resolver& resolver, std::string domain, Done done);
  ~MxLookup();
  MxLookup(const MxLookup&) = delete;
  MxLookup& operator=(const MxLookup&) = delete;

  void Start();

 private:
  void OnMx(DnsAnswer answer);
  void OnAddress(size_t exchange, DnsType type, DnsAnswer answer);
  // Errors Query reports at once (a malformed name) are answers too: a temporary failure for an
  // exchange, a permanent one for the domain itself.
  void Ask(const std::string& name, DnsType type, Resolver::Done done);
  void Finish(delivery::MxResolution resolution);

  Env& env_;
  Resolver& resolver_;
  const std::string domain_;
  Done done_;
  delivery::MxPlan plan_;
  std::vector<delivery::ExchangeAddresses> addresses_;
  size_t outstanding_ = 0;
  std::vector<std::unique_ptr<PendingLookup>> lookups_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeboat
