#pragma once
// The policy a listener runs by default, built from its configuration. Owns its filters and the
// trusted-network list; `resolver` and `rate_limiter` are owned by the caller and must outlive it.

#include <memory>

#include "appliance/env/status.h"
#include "modules/smtp/policy/chain.h"
#include "modules/smtp/policy/cidr.h"
#include "modules/smtp/policy/message_rate_limiter.h"
#include "modules/smtp/policy/policy_config.h"
#include "modules/smtp/recipient_resolver.h"

namespace lifeboat::smtp {

struct DefaultPolicy {
  std::unique_ptr<CidrList> trusted;  // referenced by the chain's directory filter
  PolicyChain chain;
};

// MAIL: declared size, then message rate. RCPT: recipient count, routing tricks, directory.
// InvalidArgument when a trusted network does not parse.
Result<std::unique_ptr<DefaultPolicy>> BuildDefaultPolicy(const PolicyConfig& config,
                                                          const RecipientResolver& resolver,
                                                          MessageRateLimiter& rate_limiter);

}  // namespace lifeboat::smtp
