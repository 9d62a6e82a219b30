#include "modules/directory/sync_core.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "modules/ascii/ascii_case.h"
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

// One entry of the next state. Whether this sync fetched it, and its references still as DNs,
// live beside it: a full sync of 100,000 entries asks "fetched?" several times per entry, and a
// second (hashed) index of the fetched ids cost more than the rest of the bookkeeping.
struct Slot {
  events::DirectoryEntry entry;
  bool fresh = false;                   // fetched by this sync
  std::string manager_dn;               // unresolved, fresh entries only
  std::vector<std::string> member_dns;  // unresolved, fresh entries only
};

struct Work {
  const SyncOptions& options;
  std::map<std::string, Slot> next;   // id -> entry, in id order (the order of the events)
  std::set<std::string> tombstones;   // isDeleted objects and ids the driver found gone
  std::set<std::string> listed_gone;  // the subset from SyncInput.deleted_ids
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
  MappingOptions mapping{work.options.source, ascii::Lower(work.options.private_address_attribute)};
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
    // Only fetched entries are in `next` yet: one already there repeats an id of this input.
    auto [slot, inserted] = work.next.try_emplace(id);
    if (!inserted) {
      work.problems.Add("entry " + ldap.dn + " repeats id " + id + ": later copy used");
    }
    slot->second = Slot{std::move(mapped.entry), true, std::move(mapped.manager_dn),
                        std::move(mapped.member_dns)};
  }
  if (input.mode == SyncMode::kIncremental && input.ids_complete) {
    std::set<std::string> present;
    for (const std::string& raw : input.present_ids) present.insert(GuidToText(raw));
    for (const auto& [id, entry] : previous) {
      if (work.Owned(entry) && present.count(id) == 0 && work.next.count(id) == 0) {
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
    if (keep && work.next.count(id) == 0) work.next.emplace(id, Slot{entry, false, {}, {}});
  }
  for (const std::string& id : work.tombstones) {
    auto it = work.next.find(id);
    if (it != work.next.end() && work.Owned(it->second.entry)) {
      work.next.erase(it);
    }
  }
}

// DN -> id of every entry in the next state, built on first use: AD references are extended
// DNs naming the GUID and never need it, and a sync without references (or an OpenLDAP tree of
// users only) skips the DnKey of every entry.
//
// A DN that no entry holds now but a still existing entry held before this sync names that
// entry: right after a rename the server may still hand out the old DN in other entries'
// references (OpenLDAP's refint overlay rewrites them asynchronously), and dropping the member
// would be wrong until the next sync. A current DN always wins over a former one.
class IdByDn {
 public:
  IdByDn(const Work& work, const DirectoryState& previous) : work_(work), previous_(previous) {}
  const std::string* Find(std::string_view dn) {
    if (!built_) Build();
    auto it = ids_.find(DnKey(dn));
    return it == ids_.end() ? nullptr : &it->second;
  }

 private:
  void Build() {
    built_ = true;
    ids_.reserve(work_.next.size());
    for (const auto& [id, slot] : work_.next) ids_[DnKey(slot.entry.distinguished_name())] = id;
    for (const auto& [id, entry] : previous_) {
      if (work_.next.count(id) != 0) ids_.try_emplace(DnKey(entry.distinguished_name()), id);
    }
  }

  const Work& work_;
  const DirectoryState& previous_;
  bool built_ = false;
  std::unordered_map<std::string, std::string> ids_;
};

// A manager/member value -> the id of an entry we know, or "". AD extended DNs name the GUID,
// which survives renames; plain DNs are matched against the entries' current DNs.
std::string ResolveReference(const Work& work, IdByDn& id_by_dn, std::string_view value) {
  if (value.empty()) return "";
  std::string guid = ExtendedDnGuid(value);
  if (!guid.empty() && work.next.count(guid) != 0) return guid;
  const std::string* id = id_by_dn.Find(StripExtendedDn(value));
  return id == nullptr ? "" : *id;
}

// DN references -> ids, then drop references to entries that no longer exist.
void ResolveReferences(const DirectoryState& previous, Work& work) {
  IdByDn id_by_dn(work, previous);
  for (auto& [id, slot] : work.next) {
    if (!slot.fresh) continue;
    if (slot.manager_dn.empty() && slot.member_dns.empty()) continue;
    events::DirectoryEntry& entry = slot.entry;
    std::string manager = ResolveReference(work, id_by_dn, slot.manager_dn);
    if (!manager.empty()) entry.set_manager_id(manager);
    std::set<std::string> members;
    // Members outside the synced scope (built-in accounts, other OUs) are not ours to list.
    for (const std::string& dn : slot.member_dns) {
      std::string member = ResolveReference(work, id_by_dn, dn);
      if (!member.empty() && member != id) members.insert(member);
    }
    for (const std::string& member : members) entry.add_member_ids(member);
  }
  for (auto& [id, slot] : work.next) {
    events::DirectoryEntry& entry = slot.entry;
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
  std::unordered_map<std::string, std::set<std::string>> groups_of;
  for (const auto& [id, slot] : work.next) {
    for (const std::string& member : slot.entry.member_ids()) groups_of[member].insert(id);
  }
  for (auto& [id, slot] : work.next) {
    events::DirectoryEntry& entry = slot.entry;
    if (!work.Owned(entry)) continue;
    entry.clear_member_of_ids();
    auto groups = groups_of.find(id);  // most entries are in no group: no empty set for them
    if (groups == groups_of.end()) continue;
    for (const std::string& group : groups->second) entry.add_member_of_ids(group);
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
  // Nearly every address has one owner: a hashed first-owner index, and an ordered list only for
  // the contested keys (the problems come out in address order, owners in id order).
  // Keys are views: of the address itself when it is lower-case already (nearly always; the
  // entries are not modified in this loop), else of its lower-cased copy in `lowered`.
  std::unordered_map<std::string_view, const std::string*> first_owner;  // address key -> id
  std::deque<std::string> lowered;
  std::map<std::string, std::vector<const std::string*>> contested;
  first_owner.reserve(work.next.size() * 2);
  for (const auto& [id, slot] : work.next) {
    for (const std::string& address : slot.entry.addresses()) {
      std::string_view key = address;
      if (std::any_of(address.begin(), address.end(),
                      [](char c) { return c >= 'A' && c <= 'Z'; })) {
        key = lowered.emplace_back(AddressKey(address));
      }
      auto [it, inserted] = first_owner.try_emplace(key, &id);
      if (inserted) continue;
      std::vector<const std::string*>& ids = contested[std::string(it->first)];
      if (ids.empty()) ids.push_back(it->second);
      ids.push_back(&id);
    }
  }
  for (const auto& [key, ids] : contested) {
    const std::string* winner = ids.front();
    for (const std::string* id : ids) {
      if (KeepsAddress(work, work.next.at(*id).entry, work.next.at(*winner).entry)) winner = id;
    }
    for (const std::string* id : ids) {
      if (*id == *winner) continue;
      events::DirectoryEntry& loser = work.next.at(*id).entry;
      if (!work.Owned(loser)) continue;
      DropAddress(loser, key);
      work.problems.Add("address " + key + " is on " + Name(work.next.at(*winner).entry) + " and " +
                        Name(loser) + ": kept by " + Name(work.next.at(*winner).entry) +
                        " (older entry)");
    }
  }
}

// In id order (work.next), so the problems list is the same for the same input.
void ReportUsersWithoutMail(Work& work) {
  for (const auto& [id, slot] : work.next) {
    if (!slot.fresh) continue;
    const events::DirectoryEntry& entry = slot.entry;
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
  for (auto& [id, slot] : work.next) {
    events::DirectoryEntry& entry = slot.entry;
    if (!work.Owned(entry)) continue;
    auto before = previous.find(id);
    bool same =
        before != previous.end() && before->second.SerializeAsString() == entry.SerializeAsString();
    if (same) {
      if (slot.fresh) ++unchanged;
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
  Work work{options, {}, {}, {}, 0, {}};
  MapInput(previous, input, work);
  BuildNextState(previous, input.mode, work);
  ResolveReferences(previous, work);
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
  // Removals, an upsert and at most one MailboxProvisioned per entry, the completion.
  events.reserve(removed.size() + 2 * work.next.size() + 1);
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
