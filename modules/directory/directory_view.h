#pragma once
// The in-memory copy of the directory that the loop thread reads: who receives mail at an
// address (smtp::RecipientResolver), list expansion, lookups by id. The directory projection
// keeps it current as it applies events and refills it from its state when the node opens.
// Lookups never touch disk or LDAP (DESIGN.md "Data path" 1: the RCPT answer comes from memory).
//
// Thread-safety: every method may be called from any thread; readers share a lock, the
// projection's updates take it exclusively.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/events.pb.h"
#include "modules/directory/sync_core.h"
#include "modules/smtp/recipient_resolver.h"

namespace lifeboat::directory {

// Lists nest at most this deep; deeper members are not expanded (and a cycle stops earlier).
inline constexpr size_t kListNestingDepthMax = 32;
// An expansion returns at most this many mailboxes.
inline constexpr size_t kListExpansionMailboxesMax = 100'000;

class DirectoryView : public smtp::RecipientResolver {
 public:
  // `accepted_domains`: the domains we receive mail for (any case).
  explicit DirectoryView(const std::vector<std::string>& accepted_domains);

  void SetAcceptedDomains(const std::vector<std::string>& accepted_domains);
  // While set, an address of ours that the view does not know resolves to kDirectoryNotLoaded
  // instead of kUnknownUser: the node has a directory source whose first import or sync has not
  // been applied yet (DirectoryService sets it, the projection clears it).
  void SetAwaitingFirstSync(bool awaiting);

  // smtp::RecipientResolver. Users -> kMailbox (disabled ones too: their mail is still kept,
  // as the primary system would), groups -> kList, contacts and unknown local parts in our
  // domains -> kUnknownUser (a contact forwards elsewhere; we hold no mailbox for it), or
  // kDirectoryNotLoaded before the first sync (SetAwaitingFirstSync).
  smtp::RecipientVerdict Resolve(std::string_view address) const override;

  // The mailbox owner ids that mail to `address` reaches: the user itself, or a list's users
  // expanded through nested groups (cycle-safe, sorted, no duplicates). Empty when none.
  std::vector<std::string> MailboxesFor(std::string_view address) const;
  std::vector<std::string> ExpandList(std::string_view group_id) const;

  std::optional<events::DirectoryEntry> FindById(std::string_view id) const;
  std::optional<events::DirectoryEntry> FindByAddress(std::string_view address) const;
  // A copy of every entry: the `previous` state of the next sync.
  DirectoryState Snapshot() const;
  size_t size() const;

  // Updates, called by the projection.
  void Upsert(const events::DirectoryEntry& entry);
  void Remove(std::string_view id);
  void Clear();

 private:
  void IndexLocked(const events::DirectoryEntry& entry);
  void UnindexLocked(const events::DirectoryEntry& entry);
  void ExpandLocked(const std::string& id, size_t depth, std::set<std::string>& visited,
                    std::set<std::string>& mailboxes) const;
  bool IsOurDomainLocked(std::string_view address) const;

  mutable std::shared_mutex mutex_;
  std::set<std::string> accepted_domains_;  // lower-case
  bool awaiting_first_sync_ = false;
  DirectoryState entries_;                         // id -> entry
  std::map<std::string, std::string> by_address_;  // AddressKey -> id
};

}  // namespace lifeboat::directory
