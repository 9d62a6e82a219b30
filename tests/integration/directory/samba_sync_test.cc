// Directory sync against a real Samba AD DC: objectGUID identity, DirSync incremental sync with
// tombstones, StartTLS with a verified certificate, the same pipeline as production:
// LdapSource -> ComputeSync -> proposer -> DirectoryProjection / DirectoryView.

#include <fstream>

#include "tests/integration/directory/daemon_harness.h"
#include "tests/integration/directory/sync_harness.h"

namespace lifeboat::directory::testing {
namespace {

using Names = std::multiset<std::string>;
using smtp::RecipientVerdict;

constexpr char kBase[] = "DC=corp,DC=example,DC=test";
constexpr char kDomain[] = "corp.example.test";

class SambaSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    StartSamba("");
    SambaTool("user create alice 'Alice-Pw-1!' --mail-address=alice@corp.example.test");
    SambaTool("user create bob 'Bob-Pw-1!' --mail-address=bob@corp.example.test");
    SambaTool("user create carol 'Carol-Pw-1!' --mail-address=carol@corp.example.test");
    SambaTool("group add Sales --mail-address=sales@corp.example.test");
    SambaTool("group addmembers Sales alice,bob");
    options_.uris = {"ldap://127.0.0.1"};
    options_.start_tls = true;
    options_.ca_file = dir_.path() + "/ca.pem";
    options_.bind_dn = "Administrator@corp.example.test";
    options_.password_file = dir_.path() + "/admin.secret";
    options_.base_dn = kBase;
    options_.page_size = 50;
    options_.network_timeout = std::chrono::seconds(3);
    options_.operation_timeout = std::chrono::seconds(60);
  }

  void StartSamba(const std::string& mode) {
    std::string error;
    bool started = samba_.Start("sh " + ScriptDir() + "/start_samba.sh " + dir_.path() + " " + mode,
                                dir_.path() + "/samba.pid", &error);
    ASSERT_TRUE(started) << error
                         << "\nThis test needs Samba: apt-get install -y samba winbind krb5-user "
                            "ldb-tools smbclient ldap-utils";
  }

  void SambaTool(const std::string& arguments) {
    CommandResult result =
        RunCommand("samba-tool " + arguments + " -s " + dir_.path() + "/etc/smb.conf");
    ASSERT_EQ(result.exit_code, 0) << "samba-tool " << arguments << ": " << result.output;
  }

  void Ldap(const std::string& tool, const std::string& ldif) {
    std::string file = dir_.path() + "/change.ldif";
    std::ofstream(file) << ldif;
    CommandResult result =
        RunCommand("LDAPTLS_CACERT=" + dir_.path() + "/ca.pem " + tool +
                   " -x -ZZ -H ldap://127.0.0.1 -D Administrator@corp.example.test -y " +
                   dir_.path() + "/admin.secret -f " + file);
    ASSERT_EQ(result.exit_code, 0) << tool << ": " << result.output;
  }

  TempDir dir_;
  Daemon samba_;
  LdapSourceOptions options_;
};

TEST_F(SambaSyncTest, DirSyncFollowsEveryChangeAndResumesAfterAnOutage) {
  SyncHarness h(options_, {kDomain});
  std::vector<events::Event> events;

  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  Names initial = h.Describe(events);
  for (const char* expected :
       {"+alice", "+bob", "+carol", "+Sales", "+Administrator", "@alice@corp.example.test",
        "@bob@corp.example.test", "@carol@corp.example.test"}) {
    EXPECT_EQ(initial.count(expected), 1u) << expected;
  }
  size_t provisioned = 0;
  for (const std::string& name : initial) provisioned += name[0] == '@';
  EXPECT_EQ(provisioned, 3u);  // Administrator, Guest, krbtgt have no mail
  EXPECT_TRUE(events.back().directory_sync_completed().full());
  EXPECT_EQ(h.source().status().method, "dirsync");
  EXPECT_EQ(h.ByName("alice")->id().size(), 36u);
  EXPECT_EQ(h.view().Resolve("sales@corp.example.test"), RecipientVerdict::kList);
  EXPECT_EQ(h.view().MailboxesFor("sales@corp.example.test").size(), 2u);
  h.ExpectMatchesDirectory();
  {  // References come as extended DNs naming the GUID (rename-proof), entry DNs stay plain.
    simulator::ManualEnv env(7);
    LdapSource direct(env, options_);
    Result<SyncInput> raw = direct.Fetch(SyncMode::kFull, "");
    ASSERT_TRUE(raw.ok()) << raw.status().ToString();
    bool found = false;
    for (const LdapEntry& entry : raw->entries) {
      if (entry.First("samaccountname") != "Sales") continue;
      found = true;
      ASSERT_EQ(entry.Values("member").size(), 2u);
      EXPECT_EQ(ExtendedDnGuid(entry.Values("member")[0]).size(), 36u) << entry.Values("member")[0];
    }
    EXPECT_TRUE(found);
  }

  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), Names{});
  EXPECT_FALSE(events.back().directory_sync_completed().full());

  SambaTool("user create dave 'Dave-Pw-1!' --mail-address=dave@corp.example.test");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), (Names{"+dave", "@dave@corp.example.test"}));
  h.ExpectMatchesDirectory();

  Ldap("ldapmodify", R"(dn: CN=alice,CN=Users,DC=corp,DC=example,DC=test
changetype: modify
add: proxyAddresses
proxyAddresses: SMTP:alice@corp.example.test
proxyAddresses: smtp:alice.smith@corp.example.test
-
replace: mobile
mobile: +1 555 0199
)");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), Names{"+alice"});
  EXPECT_EQ(h.ByName("alice")->mobile(), "+1 555 0199");
  EXPECT_EQ(h.view().Resolve("Alice.Smith@corp.example.test"), RecipientVerdict::kMailbox);
  h.ExpectMatchesDirectory();

  std::string bob_id = h.ByName("bob")->id();
  Ldap("ldapmodrdn -r", "CN=bob,CN=Users,DC=corp,DC=example,DC=test\nCN=Robert\n");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), Names{"+bob"});
  EXPECT_EQ(h.ByName("bob")->id(), bob_id);
  EXPECT_EQ(h.ByName("bob")->distinguished_name(), "CN=Robert,CN=Users,DC=corp,DC=example,DC=test");
  h.ExpectMatchesDirectory();

  SambaTool("user disable carol");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), Names{"+carol"});
  EXPECT_TRUE(h.ByName("carol")->disabled());
  h.ExpectMatchesDirectory();

  SambaTool("user delete dave");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), Names{"-dave"});
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].directory_entry_removed().reason(), "tombstone");
  EXPECT_EQ(h.view().Resolve("dave@corp.example.test"), RecipientVerdict::kUnknownUser);
  h.ExpectMatchesDirectory();

  SambaTool("group addmembers Sales carol");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), (Names{"+Sales", "+carol"}));
  h.ExpectMatchesDirectory();

  SambaTool("group add AllStaff --mail-address=all@corp.example.test");
  SambaTool("group addmembers AllStaff Sales");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), (Names{"+AllStaff", "+Sales"}));
  EXPECT_EQ(h.view().MailboxesFor("all@corp.example.test").size(), 3u);
  h.ExpectMatchesDirectory();

  samba_.Stop();
  Status down = h.Sync(SyncMode::kIncremental, &events);
  EXPECT_EQ(down.code(), StatusCode::kUnavailable) << down.ToString();
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(h.view().Resolve("alice@corp.example.test"), RecipientVerdict::kMailbox);
  EXPECT_NE(h.sync().status().source.last_error, "");

  StartSamba("--start-only");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), Names{});
  EXPECT_FALSE(events.back().directory_sync_completed().full());
  h.ExpectMatchesDirectory();
}

}  // namespace
}  // namespace lifeboat::directory::testing
