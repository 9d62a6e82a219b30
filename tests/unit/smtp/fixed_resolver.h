#pragma once
// A RecipientResolver over a fixed table, standing in for the directory projection in tests.

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "modules/smtp/recipient_resolver.h"

namespace lifeboat::smtp::testing {

class FixedRecipientResolver : public RecipientResolver {
 public:
  // Hosted domain: example.com. Mailboxes: alice, bob, postmaster. List: sales. "newhire" is
  // an address the directory's first sync has not brought yet (kDirectoryNotLoaded).
  RecipientVerdict Resolve(std::string_view address) const override {
    size_t at = address.rfind('@');
    std::string local = Lower(address.substr(0, at));
    std::string domain = Lower(address.substr(at + 1));
    if (domain != "example.com") return RecipientVerdict::kNotOurDomain;
    if (local == "sales") return RecipientVerdict::kList;
    if (local == "newhire") return RecipientVerdict::kDirectoryNotLoaded;
    static const std::set<std::string> kMailboxes = {"alice", "bob", "postmaster"};
    return kMailboxes.count(local) ? RecipientVerdict::kMailbox : RecipientVerdict::kUnknownUser;
  }

 private:
  static std::string Lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
  }
};

}  // namespace lifeboat::smtp::testing
