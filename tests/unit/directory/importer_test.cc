#include "modules/directory/importer.h"

#include <gtest/gtest.h>

namespace lifeboat::directory {
namespace {

TEST(ParseCsv, ReadsHeaderQuotingAndMultiValues) {
  std::string csv =
      "\xEF\xBB\xBFsAMAccountName,mail,displayName,proxyAddresses,kind,members\r\n"
      "alice,alice@corp.example.test,\"Smith, "
      "Alice\",smtp:a@corp.example.test;SMTP:Alice@corp.example.test,,\r\n"
      "bob,bob@corp.example.test,\"Bob \"\"The Builder\"\"\",,user,\n"
      "Sales,sales@corp.example.test,Sales,,group,alice;BOB@corp.example.test;ghost\n";
  Result<std::vector<LdapEntry>> entries = ParseCsv(csv);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 3u);
  const LdapEntry& alice = (*entries)[0];
  EXPECT_EQ(alice.First("displayname"), "Smith, Alice");
  EXPECT_EQ(alice.Values("proxyaddresses").size(), 2u);
  EXPECT_EQ(alice.First("id"), "import-alice");
  EXPECT_EQ(alice.dn, "cn=alice,ou=import");
  EXPECT_EQ((*entries)[1].First("displayname"), "Bob \"The Builder\"");
  const LdapEntry& sales = (*entries)[2];
  EXPECT_EQ(sales.First("objectclass"), "group");
  ASSERT_EQ(sales.Values("member").size(), 3u);
  EXPECT_EQ(sales.Values("member")[1], "cn=bob,ou=import");
}

TEST(ParseCsv, ReportsBadInputWithItsLine) {
  EXPECT_FALSE(ParseCsv("").ok());
  EXPECT_FALSE(ParseCsv("mail\n\"unterminated\n").ok());
  Result<std::vector<LdapEntry>> bad_kind = ParseCsv("sAMAccountName,kind\nx,printer\n");
  ASSERT_FALSE(bad_kind.ok());
  EXPECT_NE(bad_kind.status().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(ParseCsv("displayName\nNobody\n").ok());
  EXPECT_FALSE(ParseCsv("mail\na@b.example,extra\n").ok());
}

TEST(ParseLdif, ReadsBase64FoldingAndComments) {
  std::string ldif =
      "version: 1\n"
      "# a comment\n"
      "dn: uid=alice,ou=people,dc=example,dc=test\n"
      "objectClass: inetOrgPerson\n"
      "entryUUID: 11111111-2222-3333-4444-555555555555\n"
      "mail: alice@corp.example.\n"
      " test\n"
      "displayName:: w4lsb8Ovc2U=\n"
      "\n"
      "dn: cn=staff,ou=groups,dc=example,dc=test\n"
      "changetype: add\n"
      "objectClass: groupOfNames\n"
      "member: uid=alice,ou=people,dc=example,dc=test\n";
  Result<std::vector<LdapEntry>> entries = ParseLdif(ldif);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].First("mail"), "alice@corp.example.test");
  EXPECT_EQ((*entries)[0].First("displayname"), "\xC3\x89lo\xC3\xAFse");
  EXPECT_EQ((*entries)[1].First("member"), "uid=alice,ou=people,dc=example,dc=test");
}

TEST(ParseLdif, RefusesChangeRecordsAndUrls) {
  EXPECT_FALSE(ParseLdif("dn: cn=a\nchangetype: delete\n").ok());
  EXPECT_FALSE(ParseLdif("dn: cn=a\njpegPhoto:< file:///etc/passwd\n").ok());
  EXPECT_FALSE(ParseLdif("mail: a@b.example\n").ok());
  EXPECT_FALSE(ParseLdif("dn: cn=a\nnot an attribute line\n").ok());
}

TEST(ComputeImport, SyncsAsItsOwnSourceAndReimportRemovesWhatIsGone) {
  std::string first =
      "sAMAccountName,mail\nalice,alice@corp.example.test\nbob,bob@corp.example.test\n";
  Result<std::vector<events::Event>> events =
      ComputeImport({}, "users.csv", first, ImportFormat::kCsv, {});
  ASSERT_TRUE(events.ok());
  DirectoryState state;
  for (const events::Event& e : *events) {
    if (e.has_directory_entry_upserted()) {
      state[e.directory_entry_upserted().entry().id()] = e.directory_entry_upserted().entry();
      EXPECT_EQ(e.directory_entry_upserted().entry().source(), "import:users.csv");
    }
  }
  EXPECT_EQ(events->back().directory_sync_completed().upserted(), 2u);
  events = ComputeImport(state, "users.csv", "sAMAccountName,mail\nalice,alice@corp.example.test\n",
                         ImportFormat::kCsv, {});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].directory_entry_removed().id(), "import-bob");
}

TEST(FormatFromFileName, KnowsCsvAndLdif) {
  EXPECT_EQ(*FormatFromFileName("Users.CSV"), ImportFormat::kCsv);
  EXPECT_EQ(*FormatFromFileName("people.ldif"), ImportFormat::kLdif);
  EXPECT_FALSE(FormatFromFileName("people.xlsx").ok());
}

}  // namespace
}  // namespace lifeboat::directory
