#pragma once
// An LDAP entry as plain data: what the LDAP driver and the importers produce and the sync core
// consumes. No libldap types cross this line, so the core is testable without a server.
//
// Attribute names are case-insensitive in LDAP (RFC 4512 2.5): they are stored lower-cased.
// Values are raw bytes (objectGUID is binary) in the order the server sent them.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lifeboat::directory {

// Attribute name -> values, kept sorted by name in one contiguous vector. An entry has one or
// two dozen attributes and a full sync parses and maps every entry (100,000 and more): a binary
// search over an array beats a tree there, and saves the tree's allocation per attribute.
// The map-like subset the driver, the mapping and the tests use.
class AttributeMap {
 public:
  using value_type = std::pair<std::string, std::vector<std::string>>;
  using iterator = std::vector<value_type>::iterator;
  using const_iterator = std::vector<value_type>::const_iterator;

  // The values of `name` (compared exactly), created empty when absent. The reference stays
  // valid until the next insertion or erasure.
  std::vector<std::string>& operator[](std::string_view name);
  iterator find(std::string_view name);
  const_iterator find(std::string_view name) const;
  size_t erase(std::string_view name);  // 1 when it was there

  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

 private:
  iterator LowerBound(std::string_view name);
  std::vector<value_type> items_;
};

struct LdapEntry {
  std::string dn;
  // lower-cased attribute name -> values.
  AttributeMap attributes;

  // Appends a value; `name` is lower-cased here.
  void Add(std::string_view name, std::string value);
  // All values of `name` (any case), empty when absent.
  const std::vector<std::string>& Values(std::string_view name) const;
  // The first value of `name`, "" when absent.
  std::string_view First(std::string_view name) const;
  bool Has(std::string_view name) const { return !Values(name).empty(); }
};

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
