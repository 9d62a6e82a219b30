#pragma once
// Routing scopes (issue #11 Build 1): the whole deployment, one of our domains, or one directory
// group (a drill's pilot group). As text, in RoutingChanged.scope and on the command line:
//   "all" | "domain:<domain>" | "group:<directory entry id>"
// Domains are kept in lower case (RFC 5321 2.4: domain names are case-insensitive).

#include <string>
#include <string_view>

#include "appliance/env/status.h"

namespace lifeboat::routing {

inline constexpr std::string_view kScopeAll = "all";
inline constexpr std::string_view kDomainScopePrefix = "domain:";
inline constexpr std::string_view kGroupScopePrefix = "group:";
// A scope's text is at most this long: a 253-octet domain (RFC 1035 2.3.4) or an entry id (a
// GUID is 36) behind its prefix, with room to spare.
inline constexpr size_t kScopeBytesMax = 300;

// The canonical text of `scope`, or InvalidArgument for anything else (empty name, spaces,
// control characters, an unknown prefix).
Result<std::string> NormalizeScope(std::string_view scope);

std::string DomainScope(std::string_view domain);
std::string GroupScope(std::string_view group_id);

}  // namespace lifeboat::routing
