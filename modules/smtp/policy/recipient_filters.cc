#include "modules/smtp/policy/recipient_filters.h"

#include <string>

#include "appliance/env/check.h"

namespace lifeboat::smtp {

Reply RelayDeniedReply(std::string_view address) {
  return MakeReply(550, "5.7.1", "<" + std::string(address) + ">: Relay access denied");
}

FilterVerdict RecipientCountFilter::OnRcpt(const PolicyContext& context, const Path&) {
  LB_CHECK(context.limits != nullptr);
  if (context.accepted_recipients < context.limits->recipients_per_message_max) {
    return FilterVerdict::Continue();
  }
  return FilterVerdict::Stop(MakeReply(452, "4.5.3", "Error: too many recipients"));
}

bool HasSenderRouting(const Path& path) {
  if (!path.source_route.empty()) return true;
  // Inside quotes "@" is legal syntax too; unquoted it cannot reach here (parser refuses it).
  std::string local = path.mailbox.UnquotedLocalPart();
  return local.find_first_of("%!@") != std::string::npos;
}

FilterVerdict RoutingTrickFilter::OnRcpt(const PolicyContext&, const Path& recipient) {
  if (recipient.is_bare_postmaster || !HasSenderRouting(recipient)) {
    return FilterVerdict::Continue();
  }
  std::string shown = recipient.source_route.empty()
                          ? recipient.mailbox.Address()
                          : recipient.source_route + ":" + recipient.mailbox.Address();
  return FilterVerdict::Stop(RelayDeniedReply(shown));
}

FilterVerdict RecipientDirectoryFilter::OnRcpt(const PolicyContext& context,
                                               const Path& recipient) {
  // RFC 5321 4.5.1: "Postmaster" without a domain must be accepted.
  if (recipient.is_bare_postmaster) return FilterVerdict::Continue();
  const std::string address = recipient.mailbox.CanonicalAddress();
  switch (resolver_.Resolve(address)) {
    case RecipientVerdict::kMailbox:
    case RecipientVerdict::kList:
      return FilterVerdict::Continue();
    case RecipientVerdict::kUnknownUser:
      return FilterVerdict::Stop(
          MakeReply(550, "5.1.1", "<" + address + ">: Recipient address rejected: User unknown"));
    case RecipientVerdict::kNotOurDomain:
      if (trusted_.Contains(context.peer_ip)) return FilterVerdict::Continue();
      return FilterVerdict::Stop(RelayDeniedReply(address));
    case RecipientVerdict::kDirectoryNotLoaded:
      return FilterVerdict::Stop(MakeReply(
          451, "4.4.3",
          "<" + address + ">: Recipient not verified yet: the directory is still loading"));
  }
  LB_CHECK(false && "unknown RecipientVerdict");
  return FilterVerdict::Continue();
}

}  // namespace lifeboat::smtp
