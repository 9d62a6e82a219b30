#include "modules/routing/routing_table.h"

#include <mutex>
#include <utility>

#include "appliance/env/check.h"
#include "modules/ascii/ascii_case.h"
#include "modules/routing/scope.h"

namespace lifeboat::routing {

int KeepRank(events::RoutingMode mode) {
  switch (mode) {
    case events::ROUTING_MODE_CONTINUITY:
      return 3;
    case events::ROUTING_MODE_FAILBACK:
      return 2;
    case events::ROUTING_MODE_NORMAL:
      return 1;
    default:
      return 0;
  }
}

RecipientRoute RouteInMode(events::RoutingMode mode, std::string scope) {
  RecipientRoute route;
  route.mode = mode;
  route.scope = std::move(scope);
  route.relay_to_primary = mode != events::ROUTING_MODE_CONTINUITY;
  route.keep_for_webmail = true;  // history in normal and failback, the mailbox in continuity
  return route;
}

RecipientRoute RoutingTable::RouteFor(std::string_view address) const {
  std::string key = ascii::Lower(address);
  std::shared_lock lock(mutex_);
  if (auto member = by_address_.find(key); member != by_address_.end()) {
    std::set<std::string> groups;
    CollectGroupsLocked(member->second, 0, groups);
    const std::string* best_scope = nullptr;
    events::RoutingMode best = events::ROUTING_MODE_UNSPECIFIED;
    for (const std::string& group : groups) {
      std::string scope = GroupScope(group);
      auto found = scopes_.find(scope);
      if (found == scopes_.end() || KeepRank(found->second.mode) <= KeepRank(best)) continue;
      best = found->second.mode;
      best_scope = &found->first;
    }
    if (best_scope != nullptr) return RouteInMode(best, *best_scope);
  }
  if (size_t at = key.rfind('@'); at != std::string::npos) {
    if (auto found = scopes_.find(DomainScope(key.substr(at + 1))); found != scopes_.end()) {
      return RouteInMode(found->second.mode, found->first);
    }
  }
  auto all = scopes_.find(kScopeAll);
  return RouteInMode(all == scopes_.end() ? events::ROUTING_MODE_NORMAL : all->second.mode,
                     std::string(kScopeAll));
}

void RoutingTable::CollectGroupsLocked(const std::string& id, size_t depth,
                                       std::set<std::string>& groups) const {
  if (depth >= kGroupNestingDepthMax) return;
  auto member = members_.find(id);
  if (member == members_.end()) return;
  for (const std::string& group : member->second.member_of_ids) {
    if (groups.insert(group).second) CollectGroupsLocked(group, depth + 1, groups);
  }
}

std::map<std::string, events::RoutingMode> RoutingTable::Scopes() const {
  std::map<std::string, events::RoutingMode> scopes;
  for (const auto& [scope, mode] : ScopeModes()) scopes.emplace(scope, mode.mode);
  return scopes;
}

std::map<std::string, ScopeMode> RoutingTable::ScopeModes() const {
  std::shared_lock lock(mutex_);
  std::map<std::string, ScopeMode> scopes(scopes_.begin(), scopes_.end());
  scopes.try_emplace(std::string(kScopeAll), ScopeMode{});
  return scopes;
}

void RoutingTable::SetScopeMode(const std::string& scope, ScopeMode mode) {
  std::unique_lock lock(mutex_);
  scopes_.insert_or_assign(scope, mode);
}

void RoutingTable::ClearScopeMode(const std::string& scope) {
  LB_CHECK(scope != kScopeAll);
  std::unique_lock lock(mutex_);
  if (auto found = scopes_.find(scope); found != scopes_.end()) scopes_.erase(found);
}

void RoutingTable::UnindexLocked(const Member& member) {
  for (const std::string& key : member.address_keys) {
    auto found = by_address_.find(key);
    if (found != by_address_.end() && found->second == member.id) by_address_.erase(found);
  }
}

void RoutingTable::UpsertMember(Member member) {
  std::unique_lock lock(mutex_);
  if (auto before = members_.find(member.id); before != members_.end()) {
    UnindexLocked(before->second);
  }
  for (const std::string& key : member.address_keys) by_address_.insert_or_assign(key, member.id);
  std::string id = member.id;
  members_.insert_or_assign(std::move(id), std::move(member));
}

void RoutingTable::RemoveMember(const std::string& id) {
  std::unique_lock lock(mutex_);
  auto found = members_.find(id);
  if (found == members_.end()) return;
  UnindexLocked(found->second);
  members_.erase(found);
}

void RoutingTable::Clear() {
  std::unique_lock lock(mutex_);
  scopes_.clear();
  members_.clear();
  by_address_.clear();
}

}  // namespace lifeboat::routing
