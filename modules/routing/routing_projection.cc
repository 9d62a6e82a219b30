#include "modules/routing/routing_projection.h"

#include <utility>

#include "modules/ascii/ascii_case.h"
#include "modules/routing/scope.h"

namespace lifeboat::routing {
namespace {

constexpr std::string_view kScopeKeyPrefix = "scope/";
constexpr std::string_view kMemberKeyPrefix = "member/";

std::string Key(std::string_view prefix, std::string_view rest) {
  std::string key(prefix);
  key += rest;
  return key;
}

// The part of a directory entry the routing table needs, as stored under member/<id>.
events::DirectoryEntry Trimmed(const events::DirectoryEntry& entry) {
  events::DirectoryEntry trimmed;
  trimmed.set_id(entry.id());
  *trimmed.mutable_addresses() = entry.addresses();
  *trimmed.mutable_member_of_ids() = entry.member_of_ids();
  return trimmed;
}

Member MemberOf(const events::DirectoryEntry& entry) {
  Member member;
  member.id = entry.id();
  for (const std::string& address : entry.addresses()) {
    member.address_keys.push_back(ascii::Lower(address));
  }
  member.member_of_ids.assign(entry.member_of_ids().begin(), entry.member_of_ids().end());
  return member;
}

bool IsMode(events::RoutingMode mode) {
  return mode == events::ROUTING_MODE_NORMAL || mode == events::ROUTING_MODE_CONTINUITY ||
         mode == events::ROUTING_MODE_FAILBACK;
}

}  // namespace

Status RoutingProjection::Apply(const events::Event& event, eventlog::ProjectionState& state) {
  switch (event.payload_case()) {
    case events::Event::kRoutingChanged:
      return ApplyRoutingChanged(event.routing_changed(), state);
    case events::Event::kDirectoryEntryUpserted: {
      const events::DirectoryEntry& entry = event.directory_entry_upserted().entry();
      if (entry.id().empty()) return Status::Corruption("DirectoryEntryUpserted without an id");
      events::DirectoryEntry trimmed = Trimmed(entry);
      state.Put(Key(kMemberKeyPrefix, entry.id()), trimmed.SerializeAsString());
      staged_.push_back(
          {StagedChange::Kind::kUpsertMember, entry.id(), ScopeMode{}, MemberOf(trimmed)});
      return Status::Ok();
    }
    case events::Event::kDirectoryEntryRemoved: {
      const std::string& id = event.directory_entry_removed().id();
      state.Delete(Key(kMemberKeyPrefix, id));
      staged_.push_back({StagedChange::Kind::kRemoveMember, id, ScopeMode{}, Member{}});
      return Status::Ok();
    }
    default:
      return Status::Ok();
  }
}

Status RoutingProjection::ApplyRoutingChanged(const events::RoutingChanged& change,
                                              eventlog::ProjectionState& state) {
  Result<std::string> scope = NormalizeScope(change.scope());
  if (!scope.ok()) return Status::Corruption("RoutingChanged: " + scope.status().message());
  if (!IsMode(change.mode())) {
    return Status::Corruption("RoutingChanged for " + *scope + " without a mode");
  }
  if (change.automatic() && *scope != kScopeAll) {
    state.Delete(Key(kScopeKeyPrefix, *scope));
    staged_.push_back({StagedChange::Kind::kClearScope, *scope, ScopeMode{}, Member{}});
    return Status::Ok();
  }
  state.Put(Key(kScopeKeyPrefix, *scope), change.SerializeAsString());
  staged_.push_back({StagedChange::Kind::kSetScope, *scope,
                     ScopeMode{change.mode(), change.forced_by_operator()}, Member{}});
  return Status::Ok();
}

void RoutingProjection::OnBatchCommitted() {
  for (StagedChange& change : staged_) {
    switch (change.kind) {
      case StagedChange::Kind::kSetScope:
        table_.SetScopeMode(change.key, change.mode);
        LB_CHECK(table_.ScopeModes().at(change.key) == change.mode);
        break;
      case StagedChange::Kind::kClearScope:
        table_.ClearScopeMode(change.key);
        LB_CHECK(!table_.Scopes().contains(change.key));
        break;
      case StagedChange::Kind::kUpsertMember:
        table_.UpsertMember(std::move(change.member));
        break;
      case StagedChange::Kind::kRemoveMember:
        table_.RemoveMember(change.key);
        break;
    }
  }
  staged_.clear();
}

void RoutingProjection::OnBatchDiscarded() {
  staged_.clear();
}

Status RoutingProjection::Restore(std::string_view key, std::string_view value) {
  if (key.starts_with(kScopeKeyPrefix)) {
    events::RoutingChanged change;
    if (!change.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
        !IsMode(change.mode())) {
      return Status::Corruption("routing state key " + std::string(key) + " does not parse");
    }
    table_.SetScopeMode(std::string(key.substr(kScopeKeyPrefix.size())),
                        ScopeMode{change.mode(), change.forced_by_operator()});
    return Status::Ok();
  }
  if (key.starts_with(kMemberKeyPrefix)) {
    events::DirectoryEntry entry;
    if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return Status::Corruption("routing state key " + std::string(key) + " does not parse");
    }
    table_.UpsertMember(MemberOf(entry));
    return Status::Ok();
  }
  return Status::Corruption("unknown routing state key " + std::string(key));
}

void RoutingProjection::Clear() {
  staged_.clear();
  table_.Clear();
}

}  // namespace lifeboat::routing
