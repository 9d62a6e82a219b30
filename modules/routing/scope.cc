#include "modules/routing/scope.h"

#include "modules/ascii/ascii_case.h"

namespace lifeboat::routing {
namespace {

bool IsPrintableWithoutSpace(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;
  }
  return true;
}

}  // namespace

Result<std::string> NormalizeScope(std::string_view scope) {
  if (scope.size() > kScopeBytesMax) return Status::InvalidArgument("scope too long");
  if (scope == kScopeAll) return std::string(kScopeAll);
  std::string_view prefix;
  if (scope.starts_with(kDomainScopePrefix)) {
    prefix = kDomainScopePrefix;
  } else if (scope.starts_with(kGroupScopePrefix)) {
    prefix = kGroupScopePrefix;
  } else {
    return Status::InvalidArgument("scope must be all, domain:<domain> or group:<id>: " +
                                   std::string(scope));
  }
  std::string_view name = scope.substr(prefix.size());
  if (name.empty() || !IsPrintableWithoutSpace(name)) {
    return Status::InvalidArgument("scope has an empty or unprintable name: " + std::string(scope));
  }
  if (prefix == kDomainScopePrefix) return DomainScope(name);
  return GroupScope(name);
}

std::string DomainScope(std::string_view domain) {
  std::string scope(kDomainScopePrefix);
  scope += ascii::Lower(domain);
  return scope;
}

std::string GroupScope(std::string_view group_id) {
  std::string scope(kGroupScopePrefix);
  scope += group_id;
  return scope;
}

}  // namespace lifeboat::routing
