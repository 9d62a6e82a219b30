#include "appliance/admin/directory_queries.h"

#include <algorithm>
#include <cctype>

#include "appliance/admin/mailbox_json.h"
#include "modules/ascii/ascii_case.h"

namespace lifeboat::admin {
namespace {

bool Contains(std::string_view haystack, const std::string& lower_needle) {
  return ascii::Lower(haystack).find(lower_needle) != std::string::npos;
}

bool Matches(const events::DirectoryEntry& entry, const std::string& lower_text) {
  if (Contains(entry.display_name(), lower_text)) return true;
  if (Contains(entry.sam_account_name(), lower_text)) return true;
  if (Contains(entry.primary_address(), lower_text)) return true;
  return std::any_of(entry.addresses().begin(), entry.addresses().end(),
                     [&](const std::string& address) { return Contains(address, lower_text); });
}

}  // namespace

Result<std::string> DirectoryEntryQuery(const directory::DirectoryView& view,
                                        std::string_view address_or_id) {
  if (address_or_id.empty()) return Status::InvalidArgument("no address or id given");
  std::optional<events::DirectoryEntry> entry;
  if (address_or_id.find('@') != std::string_view::npos) entry = view.FindByAddress(address_or_id);
  if (!entry.has_value()) entry = view.FindById(address_or_id);
  if (!entry.has_value()) {
    return Status::NotFound("no directory entry with address or id \"" +
                            std::string(address_or_id) + "\"");
  }
  std::vector<events::DirectoryEntry> groups;
  for (const std::string& id : entry->member_of_ids()) {
    if (auto group = view.FindById(id); group.has_value()) groups.push_back(std::move(*group));
  }
  return DirectoryEntryJson(*entry, groups);
}

Result<std::string> DirectorySearchQuery(const directory::DirectoryView& view,
                                         std::string_view text, uint64_t limit) {
  if (text.empty()) return Status::InvalidArgument("empty search text");
  if (text.size() > kDirectorySearchTextBytesMax) {
    return Status::InvalidArgument("search text longer than " +
                                   std::to_string(kDirectorySearchTextBytesMax) + " bytes");
  }
  if (limit < 1 || limit > kDirectorySearchResultsMax) {
    return Status::InvalidArgument("limit=" + std::to_string(limit) + ": expected 1.." +
                                   std::to_string(kDirectorySearchResultsMax));
  }
  const std::string lower_text = ascii::Lower(text);
  std::string out;
  uint64_t found = 0;
  for (const auto& [id, entry] : view.Snapshot()) {
    if (!Matches(entry, lower_text)) continue;
    out += DirectorySummaryJson(entry);
    out.push_back('\n');
    if (++found == limit) break;
  }
  return out;
}

}  // namespace lifeboat::admin
