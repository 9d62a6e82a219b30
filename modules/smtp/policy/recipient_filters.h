#pragma once
// The RCPT TO filters: how many recipients, routing tricks, and whom the directory knows.

#include <string_view>

#include "modules/smtp/policy/cidr.h"
#include "modules/smtp/policy/filter.h"
#include "modules/smtp/recipient_resolver.h"

namespace lifeboat::smtp {

// RFC 5321 4.5.3.1.8 / 4.5.3.1.10: past the limit, "452 too many recipients"; the client sends
// the rest in another transaction.
class RecipientCountFilter : public PolicyFilter {
 public:
  FilterVerdict OnRcpt(const PolicyContext& context, const Path& recipient) override;
};

// Sender-specified routing (Postfix allow_untrusted_routing=no): an address that names another
// host inside its local part or as a source route would be relayed by whatever server parses it
// next. Refused with 550 5.7.1 for every domain, ours included:
//   user%ext@ours, ext!user@ours       (percent hack, UUCP bang path)
//   "user@ext"@ours, "u%ext"@ours, "ext!u"@ours  (the same hidden in a quoted local part)
//   @ours:user@ext                     (source route, RFC 5321 App. C: obsolete)
//   user@ext@ours                      (refused by the parser, answered by the session the same)
class RoutingTrickFilter : public PolicyFilter {
 public:
  FilterVerdict OnRcpt(const PolicyContext& context, const Path& recipient) override;
};

// True when `path` carries sender-specified routing (see RoutingTrickFilter).
bool HasSenderRouting(const Path& path);

// Asks the directory (DESIGN.md "Data path" 1): our mailbox or list -> continue; our domain but
// nobody -> 550 5.1.1; not our domain -> relay, allowed only for trusted networks (550 5.7.1).
// `resolver` and `trusted` must outlive the filter.
class RecipientDirectoryFilter : public PolicyFilter {
 public:
  RecipientDirectoryFilter(const RecipientResolver& resolver, const CidrList& trusted)
      : resolver_(resolver), trusted_(trusted) {}
  FilterVerdict OnRcpt(const PolicyContext& context, const Path& recipient) override;

 private:
  const RecipientResolver& resolver_;
  const CidrList& trusted_;
};

// Reply for a relay attempt; also used by the session for "u@ext@ours".
Reply RelayDeniedReply(std::string_view address);

}  // namespace lifeboat::smtp
