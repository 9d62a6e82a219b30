#include "modules/smtp/policy/mail_filters.h"

#include <string>

#include "appliance/env/check.h"

namespace lifeboat::smtp {

FilterVerdict DeclaredSizeFilter::OnMail(const PolicyContext& context, const Path&,
                                         const MailParameters& parameters) {
  LB_CHECK(context.limits != nullptr);
  if (!parameters.declared_size || *parameters.declared_size <= context.limits->message_bytes_max) {
    return FilterVerdict::Continue();
  }
  return FilterVerdict::Stop(
      MakeReply(552, "5.3.4", "Message size exceeds fixed maximum message size"));
}

FilterVerdict MessageRateFilter::OnMail(const PolicyContext& context, const Path&,
                                        const MailParameters&) {
  if (limiter_.TryAcquire(context.peer_ip, context.now)) return FilterVerdict::Continue();
  return FilterVerdict::Stop(MakeReply(
      450, "4.7.1", "Error: too much mail from " + std::string(context.peer_ip) + ", try later"));
}

}  // namespace lifeboat::smtp
