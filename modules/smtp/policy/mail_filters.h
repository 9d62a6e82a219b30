#pragma once
// The MAIL FROM filters: the declared size and the message rate per client.

#include "modules/smtp/policy/filter.h"
#include "modules/smtp/policy/message_rate_limiter.h"

namespace lifeboat::smtp {

// RFC 1870 6.1: a SIZE= over our fixed limit gets 552 before any data is sent (RFC 3463 5.3.4).
class DeclaredSizeFilter : public PolicyFilter {
 public:
  FilterVerdict OnMail(const PolicyContext& context, const Path& sender,
                       const MailParameters& parameters) override;
};

// One token per MAIL FROM; an empty bucket gets 450 4.7.1 and the sender retries later.
// Put last among MAIL filters: a MAIL refused for another reason costs no token.
// `limiter` must outlive the filter.
class MessageRateFilter : public PolicyFilter {
 public:
  explicit MessageRateFilter(MessageRateLimiter& limiter) : limiter_(limiter) {}
  FilterVerdict OnMail(const PolicyContext& context, const Path& sender,
                       const MailParameters& parameters) override;

 private:
  MessageRateLimiter& limiter_;
};

}  // namespace lifeboat::smtp
