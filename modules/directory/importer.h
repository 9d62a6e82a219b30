#pragma once
// Users and groups from files, for administrators without LDAP access and for the demo. The
// files become LdapEntry values and go through the same sync core as LDAP, as a full sync of
// source "import:<name>": re-importing a file upserts what changed and removes what is gone
// (under the same mass-deprovision guard).
//
// CSV (RFC 4180; the layout `csvde` exports): a header row of LDAP attribute names, any case.
//   Multi-valued columns (objectClass, proxyAddresses, member, uniqueMember, otherMailbox,
//   members) separate values with ';'. Extra columns:
//     id       stable identity (else "import-" + sAMAccountName, else + mail)
//     kind     user | group | contact (else objectClass, else user)
//     members  group members by sAMAccountName or address, resolved within the file
//   dn is optional ("cn=<name>,ou=import" when absent).
// LDIF (RFC 2849 content records): "attr: value", "attr:: base64", continuation lines, comments.
//   Change records other than "changetype: add" are refused; "attr:< URL" is refused.

#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/status.h"
#include "modules/directory/ldap_entry.h"
#include "modules/directory/sync_core.h"

namespace lifeboat::directory {

inline constexpr size_t kImportFileBytesMax = 64 * 1024 * 1024;
inline constexpr size_t kImportEntriesMax = 200'000;

enum class ImportFormat { kCsv, kLdif };

// Errors: InvalidArgument naming the line, ResourceExhausted above the limits.
Result<std::vector<LdapEntry>> ParseCsv(std::string_view text);
Result<std::vector<LdapEntry>> ParseLdif(std::string_view text);

// "users.csv" -> kCsv, "people.ldif" -> kLdif; InvalidArgument otherwise.
Result<ImportFormat> FormatFromFileName(std::string_view file_name);

// Parses `text` and computes the events of a full sync of source "import:<name>" against
// `previous` (the projection's snapshot). `options.source` is overwritten.
Result<std::vector<events::Event>> ComputeImport(const DirectoryState& previous,
                                                 std::string_view name, std::string_view text,
                                                 ImportFormat format, SyncOptions options);

// Reads a whole file (at most kImportFileBytesMax). Runs off the loop thread (it is file I/O).
Result<std::string> ReadImportFile(const std::string& path);

}  // namespace lifeboat::directory
