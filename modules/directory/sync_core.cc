#include "modules/directory/sync_core.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "modules/directory/address.h"
#include "modules/directory/entry_mapping.h"

namespace lifeboat::directory {
namespace {

class Problems {
 public:
  void Add(std::string problem) {
    if (seen_.insert(problem).second) lines_.push_back(std::move(problem));
  }
  void AddAll(const std::vector<std::string>& problems) {
    for (const std::string& p : problems) Add(p);
  }
  void CopyTo(events::DirectorySyncCompleted& completed) const {
    for (size_t i = 0; i < lines_.size() && i < kSyncProblemsMax; ++i) {
      completed.add_problems(lines_[i]);
    }
    if (lines_.size() > kSyncProblemsMax) {
      completed.add_problems("... and " + std::to_string(lines_.size() - kSyncProblemsMax) +
                             " more");
    }
  }

 private:
  std::set<std::string> seen_;
  std::vector<std::string> lines_;
};

struct Unresolved {
  std::string manager_dn;
  std::vector<std::string> member_dns;
};

struct Work {
  const SyncOptions& options;
  DirectoryState next;
  std::map<std::string, Unresolved> fresh;  // ids of entries this sync fetched
  std::set<std::string> tombstones;         // isDeleted objects and ids the driver found gone
  std::set<std::string> listed_gone;        // the subset from SyncInput.deleted_ids
  uint32_t rejected = 0;
  Problems problems;

  bool Owned(const events::DirectoryEntry& e) const { return e.source() == options.source; }
};

std::string Name(const events::DirectoryEntry& e) {
  if (!e.sam_account_name().empty()) return e.sam_account_name();
  if (!e.distinguished_name().empty()) return e.distinguished_name();
  return e.id();
}

void MapInput(const DirectoryState& previous, const SyncInput& input, Work& work) {
  MappingOptions mapping{work.options.source, AsciiLower(work.options.private_address_attribute)};
  for (const LdapEntry& ldap : input.entries) {
    MappedEntry mapped = MapEntry(ldap, mapping);
    work.problems.AddAll(mapped.problems);
    const std::string& id = mapped.entry.id();
    switch (mapped.outcome) {
      case MappedEntry::Outcome::kRejected:
        ++work.rejected;
        continue;
      case MappedEntry::Outcome::kSkipped:
        continue;
      case MappedEntry::Outcome::kTombstone:
        work.tombstones.insert(id);
        continue;
      case MappedEntry::Outcome::kEntry:
        break;
    }
    auto known = previous.find(id);
    if (known != previous.end() && !work.Owned(known->second)) {
      work.problems.Add("entry " + ldap.dn + " has the id of an entry of source " +
                        known->second.source() + ": rejected");
      ++work.rejected;
      continue;
    }
    if (work.fresh.count(id) != 0) {
      work.problems.Add("entry " + ldap.dn + " repeats id " + id + ": later copy used");
    }
    work.fresh[id] = Unresolved{std::move(mapped.manager_dn), std::move(mapped.member_dns)};
    work.next[id] = std::move(mapped.entry);
  }
  if (input.mode == SyncMode::kIncremental && input.ids_complete) {
    std::set<std::string> present;
    for (const std::string& raw : input.present_ids) present.insert(GuidToText(raw));
    for (const auto& [id, entry] : previous) {
      if (work.Owned(entry) && present.count(id) == 0 && work.fresh.count(id) == 0) {
        work.tombstones.insert(id);
        work.listed_gone.insert(id);
      }
    }
  }
  for (const std::string& id : input.deleted_ids) {
    work.tombstones.insert(id);
    work.listed_gone.insert(id);
  }
}

void BuildNextState(const DirectoryState& previous, SyncMode mode, Work& work) {
  for (const auto& [id, entry] : previous) {
    bool keep = mode == SyncMode::kIncremental || !work.Owned(entry);
    if (keep && work.next.count(id) == 0) work.next.emplace(id, entry);
  }
  for (const std::string& id : work.tombstones) {
    auto it = work.next.find(id);
    if (it != work.next.end() && work.Owned(it->second)) {
      work.next.erase(it);
      work.fresh.erase(id);
    }
  }
}

// A manager/member value -> the id of an entry we know, or "". AD extended DNs name the GUID,
// which survives renames; plain DNs are matched against the entries' current DNs.
std::string ResolveReference(const Work& work, const std::map<std::string, std::string>& id_by_dn,
                             std::string_view value) {
  if (value.empty()) return "";
  std::string guid = ExtendedDnGuid(value);
  if (!guid.empty() && work.next.count(guid) != 0) return guid;
  auto it = id_by_dn.find(DnKey(StripExtendedDn(value)));
  return it == id_by_dn.end() ? "" : it->second;
}

// DN references -> ids, then drop references to entries that no longer exist.
void ResolveReferences(Work& work) {
  std::map<std::string, std::string> id_by_dn;
  for (const auto& [id, entry] : work.next) id_by_dn[DnKey(entry.distinguished_name())] = id;
  for (auto& [id, unresolved] : work.fresh) {
    events::DirectoryEntry& entry = work.next.at(id);
    std::string manager = ResolveReference(work, id_by_dn, unresolved.manager_dn);
    if (!manager.empty()) entry.set_manager_id(manager);
    std::set<std::string> members;
    // Members outside the synced scope (built-in accounts, other OUs) are not ours to list.
    for (const std::string& dn : unresolved.member_dns) {
      std::string member = ResolveReference(work, id_by_dn, dn);
      if (!member.empty() && member != id) members.insert(member);
    }
    for (const std::string& member : members) entry.add_member_ids(member);
  }
  for (auto& [id, entry] : work.next) {
    if (!work.Owned(entry)) continue;
    if (!entry.manager_id().empty() && work.next.count(entry.manager_id()) == 0) {
      entry.clear_manager_id();
    }
    auto* members = entry.mutable_member_ids();
    members->erase(std::remove_if(members->begin(), members->end(),
                                  [&](const std::string& m) { return work.next.count(m) == 0; }),
                   members->end());
  }
}

void DeriveMemberOf(Work& work) {
  std::map<std::string, std::set<std::string>> groups_of;
  for (const auto& [id, entry] : work.next) {
    for (const std::string& member : entry.member_ids()) groups_of[member].insert(id);
  }
  for (auto& [id, entry] : work.next) {
    if (!work.Owned(entry)) continue;
    entry.clear_member_of_ids();
    for (const std::string& group : groups_of[id]) entry.add_member_of_ids(group);
  }
}

// True when `a` keeps a contested address against `b` (see the header's duplicate rule).
bool KeepsAddress(const Work& work, const events::DirectoryEntry& a,
                  const events::DirectoryEntry& b) {
  if (work.Owned(a) != work.Owned(b)) return !work.Owned(a);
  const std::string& ta = a.created_time();
  const std::string& tb = b.created_time();
  if (ta != tb) {
    if (ta.empty()) return false;
    if (tb.empty()) return true;
    return ta < tb;
  }
  return a.id() < b.id();
}

void DropAddress(events::DirectoryEntry& entry, const std::string& key) {
  auto* addresses = entry.mutable_addresses();
  addresses->erase(std::remove_if(addresses->begin(), addresses->end(),
                                  [&](const std::string& a) { return AddressKey(a) == key; }),
                   addresses->end());
  if (AddressKey(entry.primary_address()) == key) {
    entry.set_primary_address(entry.addresses().empty() ? "" : entry.addresses(0));
  }
}

void ResolveDuplicates(Work& work) {
  std::map<std::string, std::vector<std::string>> owners;  // address key -> ids
  for (const auto& [id, entry] : work.next) {
    for (const std::string& address : entry.addresses()) owners[AddressKey(address)].push_back(id);
  }
  for (const auto& [key, ids] : owners) {
    if (ids.size() < 2) continue;
    const std::string* winner = &ids.front();
    for (const std::string& id : ids) {
      if (KeepsAddress(work, work.next.at(id), work.next.at(*winner))) winner = &id;
    }
    for (const std::string& id : ids) {
      if (id == *winner) continue;
      events::DirectoryEntry& loser = work.next.at(id);
      if (!work.Owned(loser)) continue;
      DropAddress(loser, key);
      work.problems.Add("address " + key + " is on " + Name(work.next.at(*winner)) + " and " +
                        Name(loser) + ": kept by " + Name(work.next.at(*winner)) +
                        " (older entry)");
    }
  }
}

void ReportUsersWithoutMail(Work& work) {
  for (const auto& [id, unresolved] : work.fresh) {
    const events::DirectoryEntry& entry = work.next.at(id);
    if (entry.kind() == events::DIRECTORY_ENTRY_KIND_USER && entry.primary_address().empty()) {
      work.problems.Add("user " + Name(entry) + " has no mail address: no mailbox");
    }
  }
}

bool IsMailbox(const events::DirectoryEntry& entry) {
  return entry.kind() == events::DIRECTORY_ENTRY_KIND_USER && !entry.primary_address().empty();
}

// The mass-deprovision guard (header). Applies to incremental syncs too: a tombstone storm
// (an OU deleted by mistake, a restore gone wrong) or an id listing that comes back empty is the
// same danger. A refused sync proposes nothing, so its cookie is not kept and the next sync sees
// the same removals again until an operator confirms.
Status CheckDeprovisionGuard(const SyncOptions& options, size_t removed, uint32_t owned_before) {
  if (options.confirm_mass_deprovision) return Status::Ok();
  double limit = std::max<double>(options.deprovision_entries_floor,
                                  options.deprovision_fraction_max * owned_before);
  if (removed <= limit) return Status::Ok();
  return Status::FailedPrecondition(
      "directory sync " + options.source + " would remove " + std::to_string(removed) + " of " +
      std::to_string(owned_before) +
      " entries: refused by the mass-deprovision guard until an operator confirms");
}

events::Event RemovalEvent(const Work& work, const std::string& id) {
  events::Event event;
  auto* payload = event.mutable_directory_entry_removed();
  payload->set_id(id);
  if (work.listed_gone.count(id) != 0) {
    payload->set_reason("absent from directory");
  } else if (work.tombstones.count(id) != 0) {
    payload->set_reason("tombstone");
  } else {
    payload->set_reason("absent from full sync");
  }
  return event;
}

// Appends an upsert for every owned entry that differs from `previous` (moving it out of
// `work.next`), each followed by MailboxProvisioned when it just became a mailbox.
void AppendUpserts(const DirectoryState& previous, Work& work, std::vector<events::Event>& events,
                   uint32_t& upserted, uint32_t& unchanged) {
  for (auto& [id, entry] : work.next) {
    if (!work.Owned(entry)) continue;
    auto before = previous.find(id);
    bool same =
        before != previous.end() && before->second.SerializeAsString() == entry.SerializeAsString();
    if (same) {
      if (work.fresh.count(id) != 0) ++unchanged;
      continue;
    }
    ++upserted;
    bool had_mailbox = before != previous.end() && IsMailbox(before->second);
    std::optional<events::Event> provisioned;
    if (IsMailbox(entry) && !had_mailbox) {
      provisioned.emplace();
      provisioned->mutable_mailbox_provisioned()->set_mailbox_id(id);
      provisioned->mutable_mailbox_provisioned()->set_primary_address(entry.primary_address());
    }
    events::Event event;
    *event.mutable_directory_entry_upserted()->mutable_entry() = std::move(entry);
    events.push_back(std::move(event));
    if (provisioned) events.push_back(std::move(*provisioned));
  }
}

}  // namespace

Result<std::vector<events::Event>> ComputeSync(const DirectoryState& previous,
                                               const SyncInput& input, const SyncOptions& options) {
  Work work{options, {}, {}, {}, {}, 0, {}};
  MapInput(previous, input, work);
  BuildNextState(previous, input.mode, work);
  ResolveReferences(work);
  DeriveMemberOf(work);
  ResolveDuplicates(work);
  ReportUsersWithoutMail(work);

  std::vector<std::string> removed;
  uint32_t owned_before = 0;
  for (const auto& [id, entry] : previous) {
    if (!work.Owned(entry)) continue;
    ++owned_before;
    if (work.next.count(id) == 0) removed.push_back(id);
  }
  LB_RETURN_IF_ERROR(CheckDeprovisionGuard(options, removed.size(), owned_before));

  std::vector<events::Event> events;
  for (const std::string& id : removed) events.push_back(RemovalEvent(work, id));
  uint32_t upserted = 0;
  uint32_t unchanged = 0;
  AppendUpserts(previous, work, events, upserted, unchanged);
  events::Event done;
  auto* completed = done.mutable_directory_sync_completed();
  completed->set_source(options.source);
  completed->set_full(input.mode == SyncMode::kFull);
  completed->set_upserted(upserted);
  completed->set_removed(static_cast<uint32_t>(removed.size()));
  completed->set_unchanged(unchanged);
  completed->set_rejected(work.rejected);
  completed->set_duration_micros(input.duration_micros);
  completed->set_cookie(input.cookie);
  work.problems.CopyTo(*completed);
  events.push_back(std::move(done));
  return events;
}

}  // namespace lifeboat::directory
