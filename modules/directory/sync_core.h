#pragma once
// The directory sync core (sans-I/O): LDAP entries in, change events out (DESIGN.md
// "Directory"). The driver (ldap_source.h) or an importer (importer.h) fetches the entries; the
// caller proposes the events in the order given. The same input always gives the same events.
//
// Rules:
//  * Identity is objectGUID / entryUUID, never the DN: a rename is an upsert of the same id.
//  * An upsert carries the whole entry. A sync that changed nothing emits no entry events, only
//    its DirectorySyncCompleted.
//  * member_of_ids is derived from the groups' member lists (not from memberOf, a server-side
//    back-link that an incremental sync does not resend when only the group changed), so a
//    membership change upserts the group and each member whose groups changed.
//  * Bad data is reported in DirectorySyncCompleted.problems, never fatal: entries without an id
//    are rejected, malformed addresses dropped, users without mail get no mailbox.
//  * Duplicate address: the older entry keeps it (earliest created_time; unknown times sort
//    last; ties go to the smaller id). The other entry loses that address (if it was its
//    primary, its next address becomes primary). An entry of another source (an import when
//    this is LDAP) always keeps an address it holds: we never edit another source's entries.
//  * Mass-deprovision guard: a sync (full, or incremental: a tombstone storm or an id listing
//    that comes back empty is the same danger) that would remove more than
//    max(deprovision_entries_floor, deprovision_fraction_max * entries of this source) is
//    refused with FailedPrecondition unless the operator confirmed it.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "appliance/env/status.h"
#include "eventlog/events.pb.h"
#include "modules/directory/ldap_entry.h"

namespace lifeboat::directory {

// A full sync removing more than this fraction of a source's entries needs operator consent.
inline constexpr double kDeprovisionFractionMax = 0.10;
// ...except that removing this many is always allowed (a 5-person office deleting one user).
inline constexpr uint32_t kDeprovisionEntriesFloor = 5;
// DirectorySyncCompleted.problems holds at most this many lines, then a "... and N more" line.
inline constexpr size_t kSyncProblemsMax = 100;

enum class SyncMode { kFull, kIncremental };

struct SyncOptions {
  std::string source = "ldap";  // DirectoryEntry.source of the entries this sync owns
  std::string private_address_attribute = "othermailbox";
  double deprovision_fraction_max = kDeprovisionFractionMax;
  uint32_t deprovision_entries_floor = kDeprovisionEntriesFloor;
  bool confirm_mass_deprovision = false;  // set by the operator for one sync
};

using DirectoryState = std::map<std::string, events::DirectoryEntry>;  // id -> entry

struct SyncInput {
  SyncMode mode = SyncMode::kFull;
  // Full: every entry in scope. Incremental: the entries that changed (whole entries), and
  // tombstones (isDeleted) of the deleted ones.
  std::vector<LdapEntry> entries;
  // Incremental: ids known deleted by other means (an id listing that no longer has them).
  std::vector<std::string> deleted_ids;
  // Incremental: when true, `present_ids` lists every id still in scope (entryUUID values as the
  // server sent them): entries of this source missing from it are removed. This is how deletions
  // are found on servers without tombstones (OpenLDAP without syncrepl).
  bool ids_complete = false;
  std::vector<std::string> present_ids;
  std::string cookie;  // the position to resume from, kept in DirectorySyncCompleted
  int64_t duration_micros = 0;
};

// Every entry the directory projection knows (all sources), as it was before this sync.
// Returns the events to propose, in order: removals, then upserts sorted by id (each new
// mail-enabled user's MailboxProvisioned right after its upsert), then DirectorySyncCompleted.
// Errors: FailedPrecondition when the mass-deprovision guard refuses the sync.
Result<std::vector<events::Event>> ComputeSync(const DirectoryState& previous,
                                               const SyncInput& input, const SyncOptions& options);

}  // namespace lifeboat::directory
