// Directory sync against a real OpenLDAP slapd (generic LDAP: entryUUID, modifyTimestamp,
// deletions found by listing ids), over verified ldaps://, through the whole pipeline:
// LdapSource -> ComputeSync -> proposer -> DirectoryProjection / DirectoryView.

#include <sys/stat.h>

#include <fstream>

#include "tests/integration/directory/daemon_harness.h"
#include "tests/integration/directory/sync_harness.h"

namespace lifeboat::directory::testing {
namespace {

using Names = std::multiset<std::string>;
using smtp::RecipientVerdict;

constexpr char kBase[] = "dc=example,dc=test";
constexpr char kAdmin[] = "cn=admin,dc=example,dc=test";

class SlapdSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    port_ = FreeLoopbackPort();
    ASSERT_GT(port_, 0);
    StartSlapd();
    Ldap("ldapadd", R"(dn: dc=example,dc=test
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=test
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=test
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
objectClass: lifeboatUser
uid: alice
cn: Alice Smith
sn: Smith
givenName: Alice
sAMAccountName: alice
mail: alice@example.test
proxyAddresses: SMTP:alice@example.test
proxyAddresses: smtp:a.smith@example.test
mobile: +1 555 0100
otherMailbox: alice@home.example.org

dn: uid=bob,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
objectClass: lifeboatUser
uid: bob
cn: Bob Jones
sn: Jones
sAMAccountName: bob
mail: bob@example.test
manager: uid=alice,ou=people,dc=example,dc=test

dn: uid=carol,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
objectClass: lifeboatUser
uid: carol
cn: Carol White
sn: White
sAMAccountName: carol
mail: carol@example.test
userAccountControl: 512

dn: cn=staff,ou=groups,dc=example,dc=test
objectClass: groupOfNames
objectClass: lifeboatGroup
cn: staff
sAMAccountName: staff
mail: staff@example.test
member: uid=alice,ou=people,dc=example,dc=test
member: uid=bob,ou=people,dc=example,dc=test
)");
    std::string secret = dir_.path() + "/sync.secret";
    RunCommand("cp " + dir_.path() + "/admin.secret " + secret + " && chmod 600 " + secret);
    options_.uris = {"ldaps://127.0.0.1:" + std::to_string(FreeLoopbackPort()),  // nobody there
                     "ldaps://127.0.0.1:" + std::to_string(port_)};
    options_.ca_file = dir_.path() + "/ca.pem";
    options_.bind_dn = kAdmin;
    options_.password_file = secret;
    options_.base_dn = kBase;
    options_.page_size = 2;  // several pages even for this small tree
    options_.network_timeout = std::chrono::seconds(3);
    options_.operation_timeout = std::chrono::seconds(30);
  }

  void StartSlapd() {
    std::string error;
    bool started = slapd_.Start(
        "sh " + ScriptDir() + "/start_slapd.sh " + dir_.path() + " " + std::to_string(port_),
        dir_.path() + "/slapd.pid", &error);
    ASSERT_TRUE(started) << error
                         << "\nThis test needs OpenLDAP: apt-get install -y slapd ldap-utils";
  }

  // Runs an OpenLDAP client tool as the admin over verified ldaps.
  void Ldap(const std::string& tool, const std::string& ldif) {
    std::string file = dir_.path() + "/change.ldif";
    std::ofstream(file) << ldif;
    CommandResult result = RunCommand("LDAPTLS_CACERT=" + dir_.path() + "/ca.pem " + tool +
                                      " -x -H ldaps://127.0.0.1:" + std::to_string(port_) + " -D " +
                                      kAdmin + " -y " + dir_.path() + "/admin.secret -f " + file);
    ASSERT_EQ(result.exit_code, 0) << tool << ": " << result.output;
  }

  TempDir dir_;
  int port_ = -1;
  Daemon slapd_;
  LdapSourceOptions options_;
};

TEST_F(SlapdSyncTest, FullThenIncrementalSyncsFollowEveryChange) {
  SyncHarness h(options_, {"example.test"});
  std::vector<events::Event> events;

  // Initial full sync (the first URI is dead: failover to the second).
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), (Names{"+alice", "+bob", "+carol", "+staff", "@alice@example.test",
                                       "@bob@example.test", "@carol@example.test"}));
  EXPECT_TRUE(events.back().directory_sync_completed().full());
  EXPECT_EQ(h.source().status().server, options_.uris[1]);
  EXPECT_EQ(h.source().status().method, "modifytimestamp");
  h.ExpectMatchesDirectory();
  EXPECT_EQ(h.view().Resolve("A.Smith@example.test"), RecipientVerdict::kMailbox);
  EXPECT_EQ(h.view().Resolve("staff@example.test"), RecipientVerdict::kList);
  EXPECT_EQ(h.view().Resolve("nobody@example.test"), RecipientVerdict::kUnknownUser);
  EXPECT_EQ(h.ByName("bob")->manager_id(), h.ByName("alice")->id());
  EXPECT_EQ(h.ByName("alice")->private_address(), "alice@home.example.org");
  EXPECT_EQ(h.view().MailboxesFor("staff@example.test").size(), 2u);

  // Nothing changed: only the completion.
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), Names{});
  EXPECT_FALSE(events.back().directory_sync_completed().full());

  // Create a user.
  Ldap("ldapadd", R"(dn: uid=dave,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
objectClass: lifeboatUser
uid: dave
cn: Dave Brown
sn: Brown
sAMAccountName: dave
mail: dave@example.test
)");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), (Names{"+dave", "@dave@example.test"}));
  h.ExpectMatchesDirectory();

  // Modify: a new alias and a new mobile number.
  Ldap("ldapmodify", R"(dn: uid=alice,ou=people,dc=example,dc=test
changetype: modify
add: proxyAddresses
proxyAddresses: smtp:alice.smith@example.test
-
replace: mobile
mobile: +1 555 0199
)");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), Names{"+alice"});
  EXPECT_EQ(h.ByName("alice")->mobile(), "+1 555 0199");
  EXPECT_EQ(h.view().Resolve("alice.smith@example.test"), RecipientVerdict::kMailbox);
  h.ExpectMatchesDirectory();

  // Rename (the id stays; refint rewrites the group's member value, which changes nothing).
  std::string bob_id = h.ByName("bob")->id();
  Ldap("ldapmodrdn", "uid=bob,ou=people,dc=example,dc=test\nuid=robert\n");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), Names{"+bob"});
  EXPECT_EQ(h.ByName("bob")->id(), bob_id);
  EXPECT_EQ(h.ByName("bob")->distinguished_name(), "uid=robert,ou=people,dc=example,dc=test");
  h.ExpectMatchesDirectory();

  // Disable.
  Ldap("ldapmodify", R"(dn: uid=carol,ou=people,dc=example,dc=test
changetype: modify
replace: userAccountControl
userAccountControl: 514
)");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), Names{"+carol"});
  EXPECT_TRUE(h.ByName("carol")->disabled());
  h.ExpectMatchesDirectory();

  // Delete (found by the id listing: OpenLDAP keeps no tombstones).
  Ldap("ldapdelete", "uid=dave,ou=people,dc=example,dc=test\n");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), Names{"-dave"});
  EXPECT_EQ(events[0].directory_entry_removed().reason(), "absent from directory");
  EXPECT_EQ(h.view().Resolve("dave@example.test"), RecipientVerdict::kUnknownUser);
  h.ExpectMatchesDirectory();

  // Group membership: carol joins staff (the group and carol's member_of change).
  Ldap("ldapmodify", R"(dn: cn=staff,ou=groups,dc=example,dc=test
changetype: modify
add: member
member: uid=carol,ou=people,dc=example,dc=test
)");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), (Names{"+staff", "+carol"}));
  h.ExpectMatchesDirectory();

  // A nested group: all@ contains staff.
  Ldap("ldapadd", R"(dn: cn=all,ou=groups,dc=example,dc=test
objectClass: groupOfNames
objectClass: lifeboatGroup
cn: all
sAMAccountName: all
mail: all@example.test
member: cn=staff,ou=groups,dc=example,dc=test
)");
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), (Names{"+all", "+staff"}));
  EXPECT_EQ(h.view().MailboxesFor("all@example.test").size(), 3u);
  h.ExpectMatchesDirectory();

  // Directory down: the sync fails, the last state keeps serving, the error is reported.
  slapd_.Stop();
  Status down = h.Sync(SyncMode::kIncremental, &events);
  EXPECT_EQ(down.code(), StatusCode::kUnavailable) << down.ToString();
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(h.view().Resolve("alice@example.test"), RecipientVerdict::kMailbox);
  EXPECT_NE(h.sync().status().source.last_error, "");
  EXPECT_TRUE(h.sync().status().source.last_success.has_value());
  EXPECT_NE(h.sync().status().last_outcome, "ok");

  // Back up: resumes from the kept cookie (incremental, nothing new).
  StartSlapd();
  ASSERT_TRUE(h.Sync(SyncMode::kIncremental, &events).ok());
  EXPECT_EQ(h.Describe(events), Names{});
  EXPECT_FALSE(events.back().directory_sync_completed().full());
  EXPECT_EQ(h.sync().status().last_outcome, "ok");
  EXPECT_EQ(h.sync().status().source.last_error, "");
  h.ExpectMatchesDirectory();
}

TEST_F(SlapdSyncTest, PeriodicSyncRunsAtOnceThenEveryInterval) {
  SyncHarness h(options_, {"example.test"});
  auto wait_for_syncs = [&](uint64_t count) {
    // The manual Env runs the sync's fetch and what it posts: run them, check, and wait for a
    // post from another thread (if any).
    auto done = [&] {
      std::optional<SourceSyncInfo> last = h.projection().LastSync("ldap");
      return last && h.sync().status().events_proposed > 0 && !h.sync().status().running &&
             h.proposer_completions() >= count;
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      h.env().RunUntilIdle();
      if (done()) return true;
      h.env().WaitForPosted(std::chrono::milliseconds(500));
    }
    return false;
  };
  h.sync().Start();
  h.env().Advance(Duration::zero());  // the first sync is due at once
  ASSERT_TRUE(wait_for_syncs(1));
  EXPECT_EQ(h.view().Resolve("alice@example.test"), RecipientVerdict::kMailbox);
  EXPECT_TRUE(h.projection().LastSync("ldap")->last.full());

  Ldap("ldapadd", R"(dn: uid=erin,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
objectClass: lifeboatUser
uid: erin
cn: Erin
sn: Erin
sAMAccountName: erin
mail: erin@example.test
)");
  h.env().Advance(std::chrono::minutes(4));  // not due yet
  EXPECT_EQ(h.proposer_completions(), 1u);
  h.env().Advance(std::chrono::minutes(1));  // the 5-minute interval
  ASSERT_TRUE(wait_for_syncs(2));
  EXPECT_EQ(h.view().Resolve("erin@example.test"), RecipientVerdict::kMailbox);
  EXPECT_FALSE(h.projection().LastSync("ldap")->last.full());
  h.sync().Stop();
}

TEST_F(SlapdSyncTest, RefusesAnUnsafeSecretFileAndAnUntrustedCertificate) {
  ::chmod(options_.password_file.c_str(), 0644);
  simulator::ManualEnv env(1);
  LdapSource with_unsafe_secret(env, options_);
  Result<SyncInput> refused = with_unsafe_secret.Fetch(SyncMode::kFull, "");
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(with_unsafe_secret.status().last_error.find("group or others"), std::string::npos);

  ::chmod(options_.password_file.c_str(), 0600);
  LdapSourceOptions untrusted = options_;
  untrusted.uris = {options_.uris[1]};
  untrusted.ca_file = "/etc/ssl/certs/ca-certificates.crt";  // does not hold the test CA
  LdapSource with_untrusted_ca(env, untrusted);
  Result<SyncInput> unverified = with_untrusted_ca.Fetch(SyncMode::kFull, "");
  EXPECT_FALSE(unverified.ok());

  LdapSourceOptions plaintext = options_;
  plaintext.uris = {"ldap://127.0.0.1:" + std::to_string(port_)};
  LdapSource with_plaintext(env, plaintext);
  EXPECT_EQ(with_plaintext.Fetch(SyncMode::kFull, "").status().code(),
            StatusCode::kFailedPrecondition);

  LdapSource good(env, options_);
  Result<SyncInput> fetched = good.Fetch(SyncMode::kFull, "");
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(fetched->entries.size(), 4u);
}

}  // namespace
}  // namespace lifeboat::directory::testing
