#pragma once
// What `lifeboat directory show` and `lifeboat directory search` ask, answered as JSON from the
// in-memory directory view. Shared by the node's admin API and the CLI on a stopped node.

#include <cstdint>
#include <string>
#include <string_view>

#include "appliance/env/status.h"
#include "modules/directory/directory_view.h"

namespace lifeboat::admin {

// Limits, units last.
inline constexpr uint64_t kDirectorySearchResultsDefault = 20;
inline constexpr uint64_t kDirectorySearchResultsMax = 200;
inline constexpr size_t kDirectorySearchTextBytesMax = 256;

// The whole entry for an address (any of its addresses, any case) or an entry id, with its
// groups resolved. NotFound when neither matches.
Result<std::string> DirectoryEntryQuery(const directory::DirectoryView& view,
                                        std::string_view address_or_id);

// Entries whose display name, sAMAccountName or any address contains `text` (ASCII
// case-insensitive), ordered by id, at most `limit` (1..kDirectorySearchResultsMax), one JSON
// object per line. InvalidArgument for empty text or text above kDirectorySearchTextBytesMax.
// Walks a snapshot of the view: cost grows with the directory (bounded by kImportEntriesMax).
Result<std::string> DirectorySearchQuery(const directory::DirectoryView& view,
                                         std::string_view text, uint64_t limit);

}  // namespace lifeboat::admin
