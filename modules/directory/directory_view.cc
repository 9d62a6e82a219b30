#include "modules/directory/directory_view.h"

#include <mutex>

#include "modules/ascii/ascii_case.h"
#include "modules/directory/address.h"
#include "modules/directory/ldap_entry.h"

namespace lifeboat::directory {

DirectoryView::DirectoryView(const std::vector<std::string>& accepted_domains) {
  SetAcceptedDomains(accepted_domains);
}

void DirectoryView::SetAcceptedDomains(const std::vector<std::string>& accepted_domains) {
  std::unique_lock lock(mutex_);
  accepted_domains_.clear();
  for (const std::string& domain : accepted_domains) accepted_domains_.insert(ascii::Lower(domain));
}

void DirectoryView::SetAwaitingFirstSync(bool awaiting) {
  std::unique_lock lock(mutex_);
  awaiting_first_sync_ = awaiting;
}

bool DirectoryView::IsOurDomainLocked(std::string_view address) const {
  return accepted_domains_.count(ascii::Lower(AddressDomain(address))) != 0;
}

smtp::RecipientVerdict DirectoryView::Resolve(std::string_view address) const {
  std::shared_lock lock(mutex_);
  if (!IsOurDomainLocked(address)) return smtp::RecipientVerdict::kNotOurDomain;
  auto it = by_address_.find(AddressKey(address));
  if (it == by_address_.end()) {
    return awaiting_first_sync_ ? smtp::RecipientVerdict::kDirectoryNotLoaded
                                : smtp::RecipientVerdict::kUnknownUser;
  }
  switch (entries_.at(it->second).kind()) {
    case events::DIRECTORY_ENTRY_KIND_USER:
      return smtp::RecipientVerdict::kMailbox;
    case events::DIRECTORY_ENTRY_KIND_GROUP:
      return smtp::RecipientVerdict::kList;
    default:
      return smtp::RecipientVerdict::kUnknownUser;
  }
}

std::vector<std::string> DirectoryView::MailboxesFor(std::string_view address) const {
  std::shared_lock lock(mutex_);
  auto it = by_address_.find(AddressKey(address));
  if (it == by_address_.end()) return {};
  std::set<std::string> visited;
  std::set<std::string> mailboxes;
  ExpandLocked(it->second, 0, visited, mailboxes);
  return {mailboxes.begin(), mailboxes.end()};
}

std::vector<std::string> DirectoryView::ExpandList(std::string_view group_id) const {
  std::shared_lock lock(mutex_);
  std::set<std::string> visited;
  std::set<std::string> mailboxes;
  ExpandLocked(std::string(group_id), 0, visited, mailboxes);
  return {mailboxes.begin(), mailboxes.end()};
}

void DirectoryView::ExpandLocked(const std::string& id, size_t depth,
                                 std::set<std::string>& visited,
                                 std::set<std::string>& mailboxes) const {
  if (depth > kListNestingDepthMax || mailboxes.size() >= kListExpansionMailboxesMax) return;
  if (!visited.insert(id).second) return;  // a cycle, or a group reached twice
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  const events::DirectoryEntry& entry = it->second;
  if (entry.kind() == events::DIRECTORY_ENTRY_KIND_USER) {
    if (!entry.primary_address().empty()) mailboxes.insert(id);
    return;
  }
  if (entry.kind() != events::DIRECTORY_ENTRY_KIND_GROUP) return;
  for (const std::string& member : entry.member_ids()) {
    ExpandLocked(member, depth + 1, visited, mailboxes);
  }
}

std::optional<events::DirectoryEntry> DirectoryView::FindById(std::string_view id) const {
  std::shared_lock lock(mutex_);
  auto it = entries_.find(std::string(id));
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::optional<events::DirectoryEntry> DirectoryView::FindByAddress(std::string_view address) const {
  std::shared_lock lock(mutex_);
  auto it = by_address_.find(AddressKey(address));
  if (it == by_address_.end()) return std::nullopt;
  return entries_.at(it->second);
}

DirectoryState DirectoryView::Snapshot() const {
  std::shared_lock lock(mutex_);
  return entries_;
}

size_t DirectoryView::size() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

void DirectoryView::IndexLocked(const events::DirectoryEntry& entry) {
  for (const std::string& address : entry.addresses())
    by_address_[AddressKey(address)] = entry.id();
}

void DirectoryView::UnindexLocked(const events::DirectoryEntry& entry) {
  for (const std::string& address : entry.addresses()) {
    auto it = by_address_.find(AddressKey(address));
    if (it != by_address_.end() && it->second == entry.id()) by_address_.erase(it);
  }
}

void DirectoryView::Upsert(const events::DirectoryEntry& entry) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(entry.id());
  if (it != entries_.end()) UnindexLocked(it->second);
  entries_[entry.id()] = entry;
  IndexLocked(entry);
}

void DirectoryView::Remove(std::string_view id) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(std::string(id));
  if (it == entries_.end()) return;
  UnindexLocked(it->second);
  entries_.erase(it);
}

void DirectoryView::Clear() {
  std::unique_lock lock(mutex_);
  entries_.clear();
  by_address_.clear();
}

}  // namespace lifeboat::directory
