#pragma once
// What the SMTP policy chain asks the directory about each RCPT TO (DESIGN.md "Data path" 1).
// Implemented by the directory projection (modules/directory) and, in tests, by a fixed table.
// Lookups are answered from memory: the loop thread never waits on disk or LDAP for a RCPT.

#include <string>
#include <string_view>

namespace lifeboat::smtp {

enum class RecipientVerdict {
  kMailbox,       // a provisioned mailbox receives it
  kList,          // a mail-enabled group: expanded by the mailbox projection
  kUnknownUser,   // our domain, nobody there: 550 5.1.1 (RFC 3463)
  kNotOurDomain,  // relay attempt unless the peer is trusted: 550 5.7.1
  // Our domain, not known yet, and the directory's first import or sync has not landed: 451
  // 4.4.3 (RFC 3463 X.4.3, directory server failure), so the sender retries instead of bouncing
  // mail for a user the next minute will know.
  kDirectoryNotLoaded,
};

class RecipientResolver {
 public:
  virtual ~RecipientResolver() = default;
  // `address` is a syntactically valid RFC 5321 Mailbox ("local@domain"), already stripped of
  // angle brackets and parameters. The domain is compared case-insensitively; the local part per
  // the domain's rule (case-insensitive for the domains we host, RFC 5321 2.4 leaves it to us).
  // Thread-safe: may be called from the loop thread while sync applies changes.
  virtual RecipientVerdict Resolve(std::string_view address) const = 0;
};

}  // namespace lifeboat::smtp
