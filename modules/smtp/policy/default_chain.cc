#include "modules/smtp/policy/default_chain.h"

#include "modules/smtp/policy/mail_filters.h"
#include "modules/smtp/policy/recipient_filters.h"

namespace lifeboat::smtp {

Result<std::unique_ptr<DefaultPolicy>> BuildDefaultPolicy(const PolicyConfig& config,
                                                          const RecipientResolver& resolver,
                                                          MessageRateLimiter& rate_limiter) {
  Result<CidrList> trusted = CidrList::Parse(config.trusted_networks);
  if (!trusted.ok()) return trusted.status();
  auto policy = std::make_unique<DefaultPolicy>();
  policy->trusted = std::make_unique<CidrList>(std::move(trusted).value());
  policy->chain.Add(std::make_unique<DeclaredSizeFilter>());
  policy->chain.Add(std::make_unique<MessageRateFilter>(rate_limiter));
  policy->chain.Add(std::make_unique<RecipientCountFilter>());
  policy->chain.Add(std::make_unique<RoutingTrickFilter>());
  policy->chain.Add(std::make_unique<RecipientDirectoryFilter>(resolver, *policy->trusted));
  return policy;
}

}  // namespace lifeboat::smtp
