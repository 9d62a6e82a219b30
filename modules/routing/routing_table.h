#pragma once
// The routing table (issue #11 Build 2; DESIGN.md "Modes and routing"): for each recipient,
// relay to a primary or keep for the webmail. It is the in-memory view of the "routing"
// projection (routing_projection.h), which keeps it current; the data path reads it when a mail
// is committed, without touching disk.
//
// A recipient's mode comes from the most specific scope that has one:
//   1. a group the recipient is in (directly or through nested groups) with a mode of its own;
//      when several have one, the mode that keeps wins (continuity, then failback, then normal):
//      a pilot group in a drill is kept even if another group of the user was forced normal;
//   2. the recipient's domain, if that scope has a mode of its own;
//   3. "all" (normal until the first RoutingChanged for "all").
// Scopes other than "all" have a mode of their own only while an operator forces them.
//
// What each mode does with a mail (DESIGN.md "Data path" 4): normal and failback relay to a
// primary, and the history copy is kept too (the mailbox is complete at the moment of failover);
// continuity keeps the mail for the webmail and relays nothing. Failback relays new mail behind
// what was kept, oldest first: the queue's order, not this table's business.
//
// Thread-safety: every method may be called from any thread; readers share a lock, the
// projection's updates take it exclusively.

#include <map>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/events.pb.h"

namespace lifeboat::routing {

// Groups nest at most this deep when looking for a recipient's group scopes; deeper (and cyclic)
// memberships are not followed. Same bound as the directory's list expansion.
inline constexpr size_t kGroupNestingDepthMax = 32;

// A scope's own mode, and whether an operator forced it (always, for scopes other than "all").
struct ScopeMode {
  events::RoutingMode mode = events::ROUTING_MODE_NORMAL;
  bool forced = false;
  bool operator==(const ScopeMode&) const = default;
};

struct RecipientRoute {
  events::RoutingMode mode = events::ROUTING_MODE_NORMAL;
  std::string scope;             // the scope the mode came from: "all", "domain:x", "group:id"
  bool relay_to_primary = true;  // hand the mail to a primary
  bool keep_for_webmail = true;  // keep it in the recipient's Lifeboat mailbox
};

// What the table knows of a directory entry: enough to find its addresses and groups.
struct Member {
  std::string id;
  std::vector<std::string> address_keys;  // lower-case
  std::vector<std::string> member_of_ids;
};

class RoutingTable {
 public:
  RecipientRoute RouteFor(std::string_view address) const;
  // The mode of each scope that has one of its own ("all" always), sorted by scope.
  std::map<std::string, events::RoutingMode> Scopes() const;
  // The same with the forced flag: what a RoutingCore starts from (StartFromScopes).
  std::map<std::string, ScopeMode> ScopeModes() const;

  // Updates, called by the projection.
  void SetScopeMode(const std::string& scope, ScopeMode mode);
  void ClearScopeMode(const std::string& scope);  // never "all"
  void UpsertMember(Member member);
  void RemoveMember(const std::string& id);
  void Clear();

 private:
  void UnindexLocked(const Member& member);
  void CollectGroupsLocked(const std::string& id, size_t depth,
                           std::set<std::string>& groups) const;

  mutable std::shared_mutex mutex_;
  std::map<std::string, ScopeMode, std::less<>> scopes_;
  std::map<std::string, Member, std::less<>> members_;          // id -> member
  std::map<std::string, std::string, std::less<>> by_address_;  // address key -> id
};

// How much a mode keeps: the larger wins when several group scopes apply.
int KeepRank(events::RoutingMode mode);
RecipientRoute RouteInMode(events::RoutingMode mode, std::string scope);

}  // namespace lifeboat::routing
