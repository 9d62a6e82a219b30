#include "modules/directory/entry_mapping.h"

#include <gtest/gtest.h>

#include "tests/unit/directory/test_entries.h"

namespace lifeboat::directory {
namespace {

using testing::User;

MappedEntry Map(const LdapEntry& e) {
  return MapEntry(e, MappingOptions{"ldap", "othermailbox"});
}

TEST(GuidToText, ConvertsAdMixedEndianBinary) {
  const unsigned char bytes[16] = {0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
                                   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  std::string binary(reinterpret_cast<const char*>(bytes), sizeof bytes);
  EXPECT_EQ(GuidToText(binary), "00112233-4455-6677-8899-aabbccddeeff");
  EXPECT_EQ(GuidToText("00112233-4455-6677-8899-AABBCCDDEEFF"),
            "00112233-4455-6677-8899-aabbccddeeff");
  EXPECT_EQ(GuidToText("short"), "");
}

TEST(MapEntry, PrefersObjectGuidOverEntryUuid) {
  LdapEntry e = User(testing::Id(1), "alice", "alice@corp.example.test");
  const unsigned char bytes[16] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  e.Add("objectGUID", std::string(reinterpret_cast<const char*>(bytes), sizeof bytes));
  EXPECT_EQ(Map(e).entry.id(), "00000001-0000-0000-0000-000000000002");
}

TEST(MapEntry, ProxyAddressesGivePrimaryAndAliasesAndIgnoreOtherPrefixes) {
  LdapEntry e = User(testing::Id(1), "alice", "alice.old@corp.example.test");
  e.Add("proxyAddresses", "smtp:zz@corp.example.test");
  e.Add("proxyAddresses", "SMTP:Alice@Corp.Example.Test");
  e.Add("proxyAddresses", "X500:/o=Corp/cn=alice");
  e.Add("proxyAddresses", "SIP:alice@corp.example.test");
  e.Add("proxyAddresses", "smtp:aa@corp.example.test");
  MappedEntry m = Map(e);
  ASSERT_EQ(m.outcome, MappedEntry::Outcome::kEntry);
  EXPECT_EQ(m.entry.primary_address(), "Alice@corp.example.test");
  ASSERT_EQ(m.entry.addresses_size(), 4);
  EXPECT_EQ(m.entry.addresses(0), "Alice@corp.example.test");
  EXPECT_EQ(m.entry.addresses(1), "aa@corp.example.test");
  EXPECT_EQ(m.entry.addresses(2), "alice.old@corp.example.test");
  EXPECT_EQ(m.entry.addresses(3), "zz@corp.example.test");
  EXPECT_TRUE(m.problems.empty());
}

TEST(MapEntry, MapsProfileAttributesDisabledFlagAndCreationTime) {
  LdapEntry e = User(testing::Id(1), "alice", "alice@corp.example.test", "20230405060708.0Z");
  e.attributes["useraccountcontrol"] = {"514"};
  e.Add("displayName", "Alice Smith");
  e.Add("givenName", "Alice");
  e.Add("sn", "Smith");
  e.Add("department", "Sales");
  e.Add("title", "Rep");
  e.Add("telephoneNumber", "+1 555 0100");
  e.Add("mobile", "+1 555 0101");
  e.Add("otherMailbox", "alice@private.example.org");
  e.Add("userPrincipalName", "alice@corp.example.test");
  MappedEntry m = Map(e);
  EXPECT_TRUE(m.entry.disabled());
  EXPECT_EQ(m.entry.display_name(), "Alice Smith");
  EXPECT_EQ(m.entry.given_name(), "Alice");
  EXPECT_EQ(m.entry.surname(), "Smith");
  EXPECT_EQ(m.entry.department(), "Sales");
  EXPECT_EQ(m.entry.title(), "Rep");
  EXPECT_EQ(m.entry.telephone_number(), "+1 555 0100");
  EXPECT_EQ(m.entry.mobile(), "+1 555 0101");
  EXPECT_EQ(m.entry.private_address(), "alice@private.example.org");
  EXPECT_EQ(m.entry.user_principal_name(), "alice@corp.example.test");
  EXPECT_EQ(m.entry.created_time(), "20230405060708Z");
  EXPECT_EQ(m.entry.kind(), events::DIRECTORY_ENTRY_KIND_USER);
  EXPECT_EQ(m.entry.source(), "ldap");
}

TEST(MapEntry, ConfigurablePrivateAddressAttribute) {
  LdapEntry e = User(testing::Id(1), "alice", "alice@corp.example.test");
  e.Add("extensionAttribute5", "alice@home.example.org");
  MappedEntry m = MapEntry(e, MappingOptions{"ldap", "extensionattribute5"});
  EXPECT_EQ(m.entry.private_address(), "alice@home.example.org");
}

TEST(MapEntry, ReportsMalformedAddressesAndKeepsTheEntry) {
  LdapEntry e = User(testing::Id(1), "alice", "not-an-address");
  e.Add("proxyAddresses", "smtp:alice@corp.example.test");
  MappedEntry m = Map(e);
  ASSERT_EQ(m.outcome, MappedEntry::Outcome::kEntry);
  EXPECT_EQ(m.entry.primary_address(), "alice@corp.example.test");
  ASSERT_EQ(m.problems.size(), 1u);
  EXPECT_NE(m.problems[0].find("not-an-address"), std::string::npos);
}

TEST(MapEntry, SkipsComputersRejectsEntriesWithoutIdAndSeesTombstones) {
  LdapEntry computer = User(testing::Id(1), "pc1$", "");
  computer.Add("objectClass", "computer");
  EXPECT_EQ(Map(computer).outcome, MappedEntry::Outcome::kSkipped);

  LdapEntry no_id = User(testing::Id(2), "bob", "bob@corp.example.test");
  no_id.attributes.erase("entryuuid");
  MappedEntry rejected = Map(no_id);
  EXPECT_EQ(rejected.outcome, MappedEntry::Outcome::kRejected);
  EXPECT_EQ(rejected.problems.size(), 1u);

  LdapEntry deleted = User(testing::Id(3), "carol", "");
  deleted.Add("isDeleted", "TRUE");
  MappedEntry tombstone = Map(deleted);
  EXPECT_EQ(tombstone.outcome, MappedEntry::Outcome::kTombstone);
  EXPECT_EQ(tombstone.entry.id(), testing::Id(3));
}

TEST(MapEntry, GroupsKeepMemberDnsAndKindsFollowObjectClass) {
  LdapEntry g = testing::Group(testing::Id(9), "Sales", "sales@corp.example.test",
                               {testing::UserDn("alice")});
  g.Add("uniqueMember", "cn=bob,dc=x#'0101'B");
  MappedEntry m = Map(g);
  EXPECT_EQ(m.entry.kind(), events::DIRECTORY_ENTRY_KIND_GROUP);
  ASSERT_EQ(m.member_dns.size(), 2u);
  EXPECT_EQ(m.member_dns[1], "cn=bob,dc=x");

  LdapEntry contact = User(testing::Id(4), "ext", "ext@partner.example.org");
  contact.attributes["objectclass"] = {"top", "person", "organizationalPerson", "contact"};
  EXPECT_EQ(Map(contact).entry.kind(), events::DIRECTORY_ENTRY_KIND_CONTACT);
}

TEST(ExtendedDn, GivesTheGuidAndThePlainDn) {
  std::string value = "<GUID=0A1B2C3D-0000-0000-0000-000000000001>;<SID=S-1-5-21-1>;CN=x,DC=y";
  EXPECT_EQ(ExtendedDnGuid(value), "0a1b2c3d-0000-0000-0000-000000000001");
  EXPECT_EQ(StripExtendedDn(value), "CN=x,DC=y");
  EXPECT_EQ(ExtendedDnGuid("CN=x,DC=y"), "");
  EXPECT_EQ(StripExtendedDn("CN=x,DC=y"), "CN=x,DC=y");
}

TEST(DnKey, IgnoresCaseAndBlanksAroundSeparators) {
  EXPECT_EQ(DnKey("CN=Alice Smith, OU=Sales ,DC=Corp"), DnKey("cn=alice smith,ou=sales,dc=corp"));
}

}  // namespace
}  // namespace lifeboat::directory
