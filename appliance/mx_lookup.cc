#include "appliance/mx_lookup.h"

#include "appliance/env/check.h"

namespace lifeboat {

MxLookup::MxLookup(Env& env, Resolver& resolver, std::string domain, Done done)
    : env_(env), resolver_(resolver), domain_(std::move(domain)), done_(std::move(done)) {}

MxLookup::~MxLookup() {
  *alive_ = false;
}

void MxLookup::Start() {
  Ask(domain_, DnsType::kMx, [this](DnsAnswer answer) { OnMx(std::move(answer)); });
}

void MxLookup::Ask(const std::string& name, DnsType type, Resolver::Done done) {
  auto pending = resolver_.Query(name, type, done);
  if (pending.ok()) {
    lookups_.push_back(std::move(pending).value());
    return;
  }
  // Answered later, as the Resolver would: `done` never runs inside Start().
  DnsAnswer answer;
  answer.outcome = DnsAnswer::Outcome::kNameError;
  answer.detail = pending.status().message();
  env_.Post([alive = alive_, done = std::move(done), answer = std::move(answer)]() mutable {
    if (*alive) done(std::move(answer));
  });
}

void MxLookup::OnMx(DnsAnswer answer) {
  plan_ = delivery::PlanFromMxAnswer(domain_, answer, env_.RandomU64());
  if (plan_.verdict != delivery::MxVerdict::kRoutes) {
    Finish(delivery::ResolveRoutes(domain_, plan_, {}));
    return;
  }
  addresses_.resize(plan_.exchanges.size());
  outstanding_ = 2 * plan_.exchanges.size();
  for (size_t i = 0; i < plan_.exchanges.size(); ++i) {
    for (DnsType type : {DnsType::kA, DnsType::kAaaa}) {
      Ask(plan_.exchanges[i].exchange, type,
          [this, i, type](DnsAnswer answer) { OnAddress(i, type, std::move(answer)); });
    }
  }
}

void MxLookup::OnAddress(size_t exchange, DnsType type, DnsAnswer answer) {
  LB_CHECK(exchange < addresses_.size() && outstanding_ > 0);
  (type == DnsType::kA ? addresses_[exchange].a : addresses_[exchange].aaaa) = std::move(answer);
  if (--outstanding_ == 0) Finish(delivery::ResolveRoutes(domain_, plan_, addresses_));
}

void MxLookup::Finish(delivery::MxResolution resolution) {
  LB_CHECK(done_ != nullptr);
  Done done = std::move(done_);
  done_ = nullptr;
  done(std::move(resolution));
}

}  // namespace lifeboat
