#pragma once
// LDAP attributes -> DirectoryEntry (one entry at a time; references between entries, such as
// manager and member DNs, are kept as DNs here and resolved to ids by the sync core, which sees
// all entries).
//
// Mapping (AD name / OpenLDAP name):
//   id                 objectGUID (16 bytes, AD mixed-endian -> canonical text) / entryUUID /
//                      "id" (importers)
//   kind               objectClass group|groupOfNames|groupOfUniqueNames -> group, contact ->
//                      contact, user|person|inetOrgPerson -> user; computer accounts are skipped
//   addresses          "SMTP:" proxyAddress = primary, "smtp:" = aliases, other prefixes
//                      (X500:, SIP:) ignored; mail is the primary when no "SMTP:" value exists
//   disabled           userAccountControl bit 0x2 (ACCOUNTDISABLE, MS-ADTS 2.2.16)
//   created_time       whenCreated / createTimestamp
//   tombstone          isDeleted: TRUE (MS-ADTS 3.1.1.5.5 tombstones, via DirSync/show-deleted)

#include <string>
#include <vector>

#include "eventlog/events.pb.h"
#include "modules/directory/ldap_entry.h"

namespace lifeboat::directory {

// RFC 4530 entryUUID text and the canonical form we give objectGUID: 36 characters.
inline constexpr size_t kGuidTextBytes = 36;
inline constexpr size_t kGuidBinaryBytes = 16;
// MS-ADTS 2.2.16 userAccountControl ACCOUNTDISABLE.
inline constexpr unsigned long kUserAccountControlDisabled = 0x2;

struct MappingOptions {
  std::string source;  // written to DirectoryEntry.source
  // Lower-cased attribute holding an out-of-band address for activation codes.
  std::string private_address_attribute = "othermailbox";
};

struct MappedEntry {
  enum class Outcome {
    kEntry,      // `entry` is valid
    kTombstone,  // the object was deleted: `entry.id()` names it
    kSkipped,    // not something we sync (a computer account); not an error
    kRejected,   // bad data: `problems` says why
  };
  Outcome outcome = Outcome::kRejected;
  events::DirectoryEntry entry;
  std::string manager_dn;               // unresolved, "" when none
  std::vector<std::string> member_dns;  // unresolved (groups)
  std::vector<std::string> problems;    // reported, never fatal
};

MappedEntry MapEntry(const LdapEntry& ldap, const MappingOptions& options);

// objectGUID as AD stores it (first three fields little-endian, MS-DTYP 2.3.4) -> the text form
// AD tools print, lower-case. A 36-character value is taken as text already. "" when neither.
std::string GuidToText(std::string_view value);

// "20240101123000.0Z" / "20240101123000Z" -> "20240101123000Z"; "" when not GeneralizedTime.
std::string NormalizeGeneralizedTime(std::string_view value);

}  // namespace lifeboat::directory
