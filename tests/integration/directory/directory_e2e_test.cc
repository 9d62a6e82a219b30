// The directory end to end, through real processes only: a Samba AD DC, `lifeboat serve` syncing
// it over StartTLS (the DC's CA verified, the bind password in a 0600 file) on a short
// sync_interval_seconds, and the node's SMTP listener answering RCPT from the synced directory
// over a plain socket. No hook into the node: every step waits (bounded) on what a sender or an
// operator sees: SMTP replies and `lifeboat status --json`.
//
// Timeline: a user created in Samba receives mail after the next sync; a deleted user is refused
// with 550 5.1.1 (RFC 3463 "bad destination mailbox address") after the next sync; with the DC
// stopped the node keeps answering from the last synced state and reports the error; with the DC
// back the sync resumes from its DirSync cookie and sees a change made meanwhile.

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "tests/integration/directory/daemon_harness.h"
#include "tests/integration/directory/node_process.h"
#include "tests/integration/directory/smtp_probe.h"

namespace lifeboat::directory::testing {
namespace {

constexpr char kDomain[] = "corp.example.test";
constexpr char kBaseDn[] = "DC=corp,DC=example,DC=test";
// The shortest interval [directory] accepts: a change is seen within it plus one sync.
constexpr int kSyncIntervalSeconds = 10;
// A node start: two LevelDBs and the first sync of a small domain, on 2 busy cores.
constexpr auto kNodeStartBound = std::chrono::seconds(90);
// A change in Samba reaches the node within one interval plus one sync; generous for slow CI.
constexpr auto kNextSyncBound = std::chrono::seconds(60);
// After a failed sync the node retries after DirectorySyncOptions::retry_interval (1 min).
constexpr auto kResumeBound = std::chrono::seconds(150);
// Samba's LDAP port is fixed: another test's DC may hold it for a while (outside one ctest run,
// RESOURCE_LOCK cannot serialise us).
constexpr int kLdapPort = 389;
constexpr auto kLdapPortFreeBound = std::chrono::seconds(300);
constexpr auto kPollInterval = std::chrono::milliseconds(500);

// Polls `condition` until it holds or `bound` passes. True when it held.
bool WaitFor(std::chrono::seconds bound, const std::function<bool()>& condition) {
  return PollUntil(bound, kPollInterval, condition);
}

// The "directory" object of `lifeboat status --json`; empty when the node did not answer.
google::protobuf::Struct DirectoryStatus(const NodeProcess& node) {
  google::protobuf::Struct status;
  std::string json = node.StatusJson();
  if (json.empty() || !google::protobuf::util::JsonStringToMessage(json, &status).ok()) return {};
  auto it = status.fields().find("directory");
  if (it == status.fields().end()) return {};
  return it->second.struct_value();
}

std::string Text(const google::protobuf::Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  return it == object.fields().end() ? "" : it->second.string_value();
}

bool HasKey(const google::protobuf::Struct& object, const std::string& key) {
  return object.fields().count(key) != 0;
}

std::string Address(const std::string& user) {
  return user + "@" + kDomain;
}

class DirectoryEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    samba_dir_ = dir_.path() + "/samba";
    node_dir_ = dir_.path() + "/node";
    std::filesystem::create_directories(samba_dir_);
    std::filesystem::create_directories(node_dir_);
    ASSERT_TRUE(WaitFor(kLdapPortFreeBound, [] { return LoopbackPortFree(kLdapPort); }))
        << "127.0.0.1:" << kLdapPort << " stays taken: another Samba DC is running";
    StartSamba("");
    CreateUser("alice");
    CreateUser("bob");
    WriteNodeConfig();
    node_ = std::make_unique<NodeProcess>(LIFEBOAT_BINARY, node_dir_ + "/lifeboat.toml",
                                          node_dir_ + "/node.log");
    std::string error;
    ASSERT_TRUE(node_->Start(&error)) << error;
    // Ready: SMTP greets and the first (full) sync has committed.
    bool ready = WaitFor(kNodeStartBound, [&] {
      if (!node_->Running()) return true;  // reported below
      SmtpProbe probe(smtp_port_);
      return probe.Connect().code == 220 && Text(DirectoryStatus(*node_), "last_outcome") == "ok";
    });
    ASSERT_TRUE(node_->Running()) << "lifeboat serve exited:\n" << node_->LogTail();
    ASSERT_TRUE(ready) << "node not ready within " << kNodeStartBound.count() << " s:\n"
                       << node_->StatusJson() << "\n"
                       << node_->LogTail();
  }

  void StartSamba(const std::string& mode) {
    std::string error;
    bool started = samba_.Start("sh " + ScriptDir() + "/start_samba.sh " + samba_dir_ + " " + mode,
                                samba_dir_ + "/samba.pid", &error);
    ASSERT_TRUE(started) << error
                         << "\nThis test needs Samba: apt-get install -y samba winbind krb5-user "
                            "ldb-tools smbclient ldap-utils";
  }

  void SambaTool(const std::string& arguments) {
    CommandResult result =
        RunCommand("samba-tool " + arguments + " -s " + samba_dir_ + "/etc/smb.conf");
    ASSERT_EQ(result.exit_code, 0) << "samba-tool " << arguments << ": " << result.output;
  }

  void CreateUser(const std::string& name) {
    SambaTool("user create " + name + " 'Pw-" + name + "-1!' --mail-address=" + Address(name));
  }

  void WriteNodeConfig() {
    smtp_port_ = FreeLoopbackPort();
    int admin_port = FreeLoopbackPort();
    ASSERT_GT(smtp_port_, 0);
    ASSERT_GT(admin_port, 0);
    // The node's own copy of the bind password, readable by its user only.
    std::string password_file = node_dir_ + "/bind.secret";
    std::filesystem::copy_file(samba_dir_ + "/admin.secret", password_file);
    ASSERT_EQ(::chmod(password_file.c_str(), 0600), 0);
    std::ofstream config(node_dir_ + "/lifeboat.toml");
    config << "[node]\nid = \"n1\"\ncluster_id = \"e2e\"\ndata_dir = \"" << node_dir_
           << "/data\"\n\n[admin]\nlisten = \"127.0.0.1:" << admin_port << "\"\n\n"
           << "[smtp]\nlisten = \"127.0.0.1:" << smtp_port_
           << "\"\nhostname = \"mx.corp.example.test\"\ndomains = [\"" << kDomain
           << "\"]\n"
           // Polling sends a message a second at most: keep the per-client rate limit out of the
           // way (1 ms; 0 passes the config check but stops the node: LB_CHECK in
           // message_rate_limiter.cc).
           << "message_interval_per_ip_ms = 1\n\n"
           << "[directory]\nldap_uris = [\"ldap://127.0.0.1\"]\nstart_tls = true\n"
           << "ca_file = \"" << samba_dir_ << "/ca.pem\"\n"
           << "bind_dn = \"Administrator@corp.example.test\"\npassword_file = \"" << password_file
           << "\"\nbase_dn = \"" << kBaseDn
           << "\"\nsync_interval_seconds = " << kSyncIntervalSeconds << "\n";
  }

  // Waits until RCPT for `user` gets `code`; returns the last reply seen.
  SmtpReply WaitForRcpt(const std::string& user, int code, std::chrono::seconds bound) {
    SmtpReply last;
    WaitFor(bound, [&] {
      last = DeliverTo(smtp_port_, Address(user));
      return last.code == code;
    });
    return last;
  }

  TempDir dir_;
  std::string samba_dir_;
  std::string node_dir_;
  int smtp_port_ = -1;
  Daemon samba_;
  std::unique_ptr<NodeProcess> node_;  // declared after samba_: stopped first
};

TEST_F(DirectoryEndToEndTest, SambaChangesReachSmtpAndAnOutageKeepsTheLastState) {
  google::protobuf::Struct status = DirectoryStatus(*node_);
  EXPECT_EQ(Text(status, "ldap_server"), "ldap://127.0.0.1");
  EXPECT_EQ(Text(status, "ldap_method"), "dirsync");
  EXPECT_EQ(Text(status, "last_error"), "");
  EXPECT_TRUE(HasKey(status, "last_success_age_seconds"));
  EXPECT_GE(status.fields().at("entries").number_value(), 2);  // alice, bob, built-in accounts

  // Synced at start: alice receives mail; carol does not exist yet.
  EXPECT_EQ(DeliverTo(smtp_port_, Address("alice")).code, 250);
  SmtpReply unknown = DeliverTo(smtp_port_, Address("carol"));
  EXPECT_EQ(unknown.code, 550) << unknown.text;
  EXPECT_NE(unknown.text.find("5.1.1"), std::string::npos) << unknown.text;

  // Created in Samba: accepted after the next sync, and the message itself gets 250.
  CreateUser("carol");
  SmtpReply created = WaitForRcpt("carol", 250, kNextSyncBound);
  EXPECT_EQ(created.code, 250) << "carol not accepted within " << kNextSyncBound.count()
                               << " s: " << created.text << "\n"
                               << node_->StatusJson();

  // Deleted in Samba (a DirSync tombstone): refused with 550 5.1.1 after the next sync.
  EXPECT_EQ(DeliverTo(smtp_port_, Address("bob")).code, 250);
  SambaTool("user delete bob");
  SmtpReply deleted = WaitForRcpt("bob", 550, kNextSyncBound);
  EXPECT_EQ(deleted.code, 550) << "bob still accepted " << kNextSyncBound.count()
                               << " s after his deletion: " << deleted.text;
  EXPECT_NE(deleted.text.find("5.1.1"), std::string::npos) << deleted.text;

  // The DC stops: the next sync fails, status says so, and SMTP answers from the last state.
  samba_.Stop();
  bool reported = WaitFor(kNextSyncBound, [&] {
    google::protobuf::Struct s = DirectoryStatus(*node_);
    return !Text(s, "last_error").empty() && Text(s, "last_outcome") != "ok";
  });
  status = DirectoryStatus(*node_);
  EXPECT_TRUE(reported) << "no directory error reported with the DC down: " << node_->StatusJson();
  EXPECT_NE(Text(status, "last_outcome"), "ok");
  EXPECT_NE(Text(status, "last_error"), "");
  EXPECT_TRUE(HasKey(status, "last_success_age_seconds"));  // the last good sync is still shown
  EXPECT_EQ(DeliverTo(smtp_port_, Address("alice")).code, 250);
  EXPECT_EQ(DeliverTo(smtp_port_, Address("carol")).code, 250);
  SmtpReply still_gone = DeliverTo(smtp_port_, Address("bob"));
  EXPECT_EQ(still_gone.code, 550) << still_gone.text;
  EXPECT_NE(still_gone.text.find("5.1.1"), std::string::npos) << still_gone.text;

  // The DC comes back: the sync resumes (retry after a failure) and follows a new change.
  StartSamba("--start-only");
  bool resumed = WaitFor(kResumeBound, [&] {
    google::protobuf::Struct s = DirectoryStatus(*node_);
    return Text(s, "last_outcome") == "ok" && Text(s, "last_error").empty();
  });
  EXPECT_TRUE(resumed) << "the sync did not resume within " << kResumeBound.count()
                       << " s of the DC's restart: " << node_->StatusJson();
  CreateUser("dave");
  SmtpReply after_restart = WaitForRcpt("dave", 250, kNextSyncBound);
  EXPECT_EQ(after_restart.code, 250)
      << "dave not accepted after the DC came back: " << after_restart.text << "\n"
      << node_->StatusJson();
  EXPECT_EQ(DeliverTo(smtp_port_, Address("alice")).code, 250);
  EXPECT_EQ(DeliverTo(smtp_port_, Address("bob")).code, 550);
  EXPECT_TRUE(node_->Running()) << node_->LogTail();
}

}  // namespace
}  // namespace lifeboat::directory::testing
