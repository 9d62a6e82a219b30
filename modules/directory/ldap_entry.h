#pragma once
// An LDAP entry as plain data: what the LDAP driver and the importers produce and the sync core
// consumes. No libldap types cross this line, so the core is testable without a server.
//
// Attribute names are case-insensitive in LDAP (RFC 4512 2.5): they are stored lower-cased.
// Values are raw bytes (objectGUID is binary) in the order the server sent them.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::directory {

struct LdapEntry {
  std::string dn;
  // lower-cased attribute name -> values.
  std::map<std::string, std::vector<std::string>, std::less<>> attributes;

  // Appends a value; `name` is lower-cased here.
  void Add(std::string_view name, std::string value);
  // All values of `name` (any case), empty when absent.
  const std::vector<std::string>& Values(std::string_view name) const;
  // The first value of `name`, "" when absent.
  std::string_view First(std::string_view name) const;
  bool Has(std::string_view name) const { return !Values(name).empty(); }
};

// ASCII lower-casing: LDAP attribute names and DNS domains are ASCII.
std::string AsciiLower(std::string_view text);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// A DN reduced to a comparison key: lower-cased, blanks around ',' '=' '+' removed. Not a full
// RFC 4514 canonicalisation (escaped characters are compared as written), which is enough for
// matching the member/manager values a server sends against the DNs of the entries it sends.
std::string DnKey(std::string_view dn);

// AD extended DNs (control 1.2.840.113556.1.4.529, MS-ADTS 3.1.1.3.4.1.5) prefix a DN with
// "<GUID=...>;<SID=...>;". StripExtendedDn returns the plain DN; ExtendedDnGuid the GUID text
// (lower-case), "" when the value carries none.
std::string_view StripExtendedDn(std::string_view dn);
std::string ExtendedDnGuid(std::string_view dn);

}  // namespace lifeboat::directory
