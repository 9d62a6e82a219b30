#include "modules/directory/entry_mapping.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "modules/ascii/ascii_case.h"
#include "modules/directory/address.h"

namespace lifeboat::directory {
namespace {

using Kind = events::DirectoryEntryKind;

// nullopt: skip the object (computer accounts are users in AD's class hierarchy). One pass over
// objectClass: a full sync maps every entry, and each lookup of the attribute costs a map search.
std::optional<Kind> KindOf(const LdapEntry& ldap, bool* skip) {
  bool computer = false, group = false, contact = false, user = false;
  for (const std::string& value : ldap.Values("objectclass")) {
    if (ascii::EqualsIgnoreCase(value, "computer")) {
      computer = true;
    } else if (ascii::EqualsIgnoreCase(value, "group") ||
               ascii::EqualsIgnoreCase(value, "groupOfNames") ||
               ascii::EqualsIgnoreCase(value, "groupOfUniqueNames")) {
      group = true;
    } else if (ascii::EqualsIgnoreCase(value, "contact")) {
      contact = true;
    } else if (ascii::EqualsIgnoreCase(value, "user") || ascii::EqualsIgnoreCase(value, "person") ||
               ascii::EqualsIgnoreCase(value, "inetOrgPerson") ||
               ascii::EqualsIgnoreCase(value, "organizationalPerson")) {
      user = true;
    }
  }
  *skip = computer;
  if (computer) return std::nullopt;
  if (group) return events::DIRECTORY_ENTRY_KIND_GROUP;
  if (contact) return events::DIRECTORY_ENTRY_KIND_CONTACT;
  if (user) return events::DIRECTORY_ENTRY_KIND_USER;
  return std::nullopt;
}

std::string EntryName(const LdapEntry& ldap) {
  std::string_view sam = ldap.First("samaccountname");
  return sam.empty() ? ldap.dn : std::string(sam);
}

// Fills primary_address and addresses; reports malformed values. Allocation-lean: a full sync
// maps every entry, and most have one to three addresses.
void MapAddresses(const LdapEntry& ldap, MappedEntry& out) {
  std::optional<std::string> primary;
  std::vector<std::string> aliases;
  auto checked_address = [&](std::string_view raw, const char* what) -> std::optional<std::string> {
    std::optional<std::string> address = NormalizeAddress(raw);
    if (!address) {
      out.problems.push_back("malformed address '" + std::string(raw) + "' in " + what + " of " +
                             EntryName(ldap) + ": ignored");
    }
    return address;
  };
  for (const std::string& value : ldap.Values("proxyaddresses")) {
    size_t colon = value.find(':');
    if (colon == std::string::npos) continue;
    std::string_view prefix(value.data(), colon);
    if (!ascii::EqualsIgnoreCase(prefix, "smtp")) continue;  // X500:, SIP:, X400: are not mail
    std::optional<std::string> address =
        checked_address(std::string_view(value).substr(colon + 1), "proxyAddresses");
    if (!address) continue;
    if (prefix == "SMTP" && !primary) {
      primary = std::move(*address);
    } else {
      aliases.push_back(std::move(*address));
    }
  }
  for (const std::string& value : ldap.Values("mail")) {
    std::optional<std::string> address = checked_address(value, "mail");
    if (!address) continue;
    if (!primary) {
      primary = std::move(*address);
    } else {
      aliases.push_back(std::move(*address));
    }
  }
  // Primary first, then the aliases in key order: LDAP does not order values (RFC 4511 4.1.7).
  if (aliases.size() > 1) {
    std::sort(aliases.begin(), aliases.end(), [](const std::string& a, const std::string& b) {
      return AddressKey(a) < AddressKey(b);
    });
  }
  if (!primary && !aliases.empty()) {  // only "smtp:" values: the first one stands in
    primary = std::move(aliases.front());
    aliases.erase(aliases.begin());
  }
  std::vector<std::string> seen;  // address keys; a handful, so a linear search
  seen.reserve(aliases.size() + 1);
  if (primary) {
    seen.push_back(AddressKey(*primary));
    out.entry.set_primary_address(*primary);
    out.entry.add_addresses(std::move(*primary));
  }
  for (std::string& alias : aliases) {
    std::string key = AddressKey(alias);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(std::move(key));
    out.entry.add_addresses(std::move(alias));
  }
}

std::string EntryId(const LdapEntry& ldap) {
  if (ldap.Has("objectguid")) return GuidToText(ldap.First("objectguid"));
  if (ldap.Has("entryuuid")) return GuidToText(ldap.First("entryuuid"));
  // Importers name entries by an "id" column (or one derived from the account name).
  return ascii::Lower(ldap.First("id"));
}

bool IsDeleted(const LdapEntry& ldap) {
  return ascii::EqualsIgnoreCase(ldap.First("isdeleted"), "TRUE");
}

void MapScalars(const LdapEntry& ldap, const MappingOptions& options, events::DirectoryEntry& e) {
  e.set_distinguished_name(std::string(StripExtendedDn(ldap.dn)));
  e.set_sam_account_name(std::string(ldap.First("samaccountname")));
  e.set_user_principal_name(std::string(ldap.First("userprincipalname")));
  e.set_display_name(std::string(ldap.First("displayname")));
  e.set_given_name(std::string(ldap.First("givenname")));
  e.set_surname(std::string(ldap.First("sn")));
  e.set_department(std::string(ldap.First("department")));
  e.set_title(std::string(ldap.First("title")));
  e.set_telephone_number(std::string(ldap.First("telephonenumber")));
  e.set_mobile(std::string(ldap.First("mobile")));
  e.set_source(options.source);
  std::string_view created = ldap.First("whencreated");
  if (created.empty()) created = ldap.First("createtimestamp");
  e.set_created_time(NormalizeGeneralizedTime(created));
  std::string_view control = ldap.First("useraccountcontrol");
  if (!control.empty()) {
    unsigned long flags = std::strtoul(std::string(control).c_str(), nullptr, 10);
    e.set_disabled((flags & kUserAccountControlDisabled) != 0);
  }
}

}  // namespace

std::string GuidToText(std::string_view value) {
  if (value.size() == kGuidTextBytes) return ascii::Lower(value);
  if (value.size() != kGuidBinaryBytes) return "";
  // MS-DTYP 2.3.4.2: Data1 (4 bytes), Data2 and Data3 (2 bytes each) little-endian, Data4 as is.
  static constexpr int kOrder[kGuidBinaryBytes] = {3, 2, 1,  0,  5,  4,  7,  6,
                                                   8, 9, 10, 11, 12, 13, 14, 15};
  std::string out;
  out.reserve(kGuidTextBytes);
  for (size_t i = 0; i < kGuidBinaryBytes; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned char>(value[kOrder[i]]));
    out += hex;
  }
  return out;
}

std::string NormalizeGeneralizedTime(std::string_view value) {
  // RFC 4517 3.3.13: YYYYMMDDHH[MM[SS]][(.|,)fraction](Z|+hhmm). Directories send full seconds.
  static constexpr size_t kDigits = 14;
  if (value.size() < kDigits) return "";
  for (size_t i = 0; i < kDigits; ++i) {
    if (value[i] < '0' || value[i] > '9') return "";
  }
  return std::string(value.substr(0, kDigits)) + "Z";
}

MappedEntry MapEntry(const LdapEntry& ldap, const MappingOptions& options) {
  MappedEntry out;
  std::string id = EntryId(ldap);
  if (id.empty()) {
    out.problems.push_back("entry " + std::string(StripExtendedDn(ldap.dn)) +
                           " has no objectGUID or entryUUID: rejected");
    return out;
  }
  out.entry.set_id(id);
  if (IsDeleted(ldap)) {
    out.outcome = MappedEntry::Outcome::kTombstone;
    return out;
  }
  bool skip = false;
  std::optional<Kind> kind = KindOf(ldap, &skip);
  if (skip) {
    out.outcome = MappedEntry::Outcome::kSkipped;
    return out;
  }
  if (!kind) {
    out.problems.push_back("entry " + ldap.dn + " is neither user, group nor contact: rejected");
    return out;
  }
  out.entry.set_kind(*kind);
  MapScalars(ldap, options, out.entry);
  MapAddresses(ldap, out);
  std::string_view private_raw = ldap.First(options.private_address_attribute);
  if (!private_raw.empty()) {
    std::optional<std::string> address = NormalizeAddress(private_raw);
    if (address) {
      out.entry.set_private_address(*address);
    } else {
      out.problems.push_back("malformed private address '" + std::string(private_raw) + "' of " +
                             EntryName(ldap) + ": ignored");
    }
  }
  out.manager_dn = std::string(ldap.First("manager"));
  if (*kind == events::DIRECTORY_ENTRY_KIND_GROUP) {
    out.member_dns = ldap.Values("member");
    for (const std::string& value : ldap.Values("uniquemember")) {
      // RFC 4519 2.40 nameAndOptionalUID: "dn#'0101'B"; the UID part is not part of the DN.
      size_t hash = value.rfind("#'");
      out.member_dns.push_back(hash == std::string::npos ? value : value.substr(0, hash));
    }
  }
  out.outcome = MappedEntry::Outcome::kEntry;
  return out;
}

}  // namespace lifeboat::directory
