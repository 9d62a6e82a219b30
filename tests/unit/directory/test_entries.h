#pragma once
// Builders for LDAP entries in the directory unit tests.

#include <string>
#include <vector>

#include "modules/directory/ldap_entry.h"

namespace lifeboat::directory::testing {

inline LdapEntry User(const std::string& id, const std::string& sam, const std::string& mail,
                      const std::string& created = "20240101000000.0Z") {
  LdapEntry e;
  e.dn = "CN=" + sam + ",CN=Users,DC=corp,DC=example,DC=test";
  e.Add("objectClass", "top");
  e.Add("objectClass", "person");
  e.Add("objectClass", "organizationalPerson");
  e.Add("objectClass", "user");
  e.Add("entryUUID", id);
  e.Add("sAMAccountName", sam);
  if (!mail.empty()) e.Add("mail", mail);
  e.Add("whenCreated", created);
  e.Add("userAccountControl", "512");
  return e;
}

inline LdapEntry Group(const std::string& id, const std::string& name, const std::string& mail,
                       const std::vector<std::string>& member_dns) {
  LdapEntry e;
  e.dn = "CN=" + name + ",CN=Users,DC=corp,DC=example,DC=test";
  e.Add("objectClass", "top");
  e.Add("objectClass", "group");
  e.Add("entryUUID", id);
  e.Add("sAMAccountName", name);
  if (!mail.empty()) e.Add("mail", mail);
  e.Add("whenCreated", "20240101000000.0Z");
  for (const std::string& dn : member_dns) e.Add("member", dn);
  return e;
}

inline std::string UserDn(const std::string& sam) {
  return "CN=" + sam + ",CN=Users,DC=corp,DC=example,DC=test";
}

// Ids: 36 characters like entryUUID.
inline std::string Id(int n) {
  char text[40];
  std::snprintf(text, sizeof text, "00000000-0000-0000-0000-%012d", n);
  return text;
}

}  // namespace lifeboat::directory::testing
