// `lifeboat mailbox` and `lifeboat directory` against a real node and then its stopped data dir:
// `lifeboat serve` with [smtp] and a [directory] import file, one mail sent over a plain SMTP
// dialogue, then the commands read it through the admin API; after SIGTERM the same commands
// read it from the data dir.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/unit/appliance/child_process.h"

namespace {

constexpr char kSubject[] = "Quarterly numbers for the lifeboat test";

using lifeboat::testing::Child;
using lifeboat::testing::FreePort;
using lifeboat::testing::kPollTimeoutMilliseconds;
using lifeboat::testing::ReadUntil;
using lifeboat::testing::WaitExit;

Child Spawn(const std::vector<std::string>& args) {
  return lifeboat::testing::Spawn(LIFEBOAT_BINARY, args);
}

// Runs `lifeboat args...` to completion.
int RunLifeboat(const std::vector<std::string>& args, std::string& output) {
  output.clear();
  return lifeboat::testing::Run(LIFEBOAT_BINARY, args, output);
}

class SmtpClient {
 public:
  explicit SmtpClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval timeout{kPollTimeoutMilliseconds / 1000, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~SmtpClient() { close(fd_); }
  bool connected() const { return connected_; }

  // Sends `line` (CRLF added unless empty) and returns the complete reply, "" on a timeout.
  std::string Say(const std::string& line) {
    if (!line.empty()) {
      std::string wire = line + "\r\n";
      EXPECT_EQ(send(fd_, wire.data(), wire.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(wire.size()));
    }
    return ReadReply();
  }

 private:
  // A reply ends with a line "NNN text" (a space after the code, RFC 5321 section 4.2.1).
  std::string ReadReply() {
    std::string reply;
    while (true) {
      size_t end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        std::string line = buffer_.substr(0, end + 2);
        buffer_.erase(0, end + 2);
        reply += line;
        if (line.size() >= 4 && line[3] == ' ') return reply;
        continue;
      }
      char chunk[1024];
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return reply;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

class MailboxCliIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lifeboat-mailbox-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    admin_port_ = FreePort();
    smtp_port_ = FreePort();
    std::ofstream(dir_ + "/users.csv")
        << "sAMAccountName,mail,displayName,proxyAddresses,mobile\n"
        << "alice,alice@corp.example.test,Alice Martin,smtp:a.martin@corp.example.test,"
           "+1 555 0101\n"
        << "bob,bob@corp.example.test,Bob Chen,,+1 555 0102\n"
        << "carol,carol@corp.example.test,Carol Diaz,,\n";
    config_ = dir_ + "/lifeboat.toml";
    std::ofstream(config_) << "[node]\nid = \"n1\"\ncluster_id = \"acme\"\n"
                           << "data_dir = \"" << dir_ << "/data\"\n"
                           << "[admin]\nlisten = \"127.0.0.1:" << admin_port_ << "\"\n"
                           << "[smtp]\nlisten = \"127.0.0.1:" << smtp_port_ << "\"\n"
                           << "hostname = \"mx.corp.example.test\"\n"
                           << "domains = [\"corp.example.test\"]\n"
                           << "disk_reserve_bytes = 0\n"
                           << "[directory]\nimport_file = \"" << dir_ << "/users.csv\"\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void SendMailToAlice() {
    SmtpClient smtp(smtp_port_);
    ASSERT_TRUE(smtp.connected());
    EXPECT_EQ(smtp.Say("").substr(0, 4), "220 ");
    EXPECT_EQ(smtp.Say("EHLO client.outside.example").substr(0, 3), "250");
    EXPECT_EQ(smtp.Say("MAIL FROM:<bob@outside.example>").substr(0, 4), "250 ");
    std::string rcpt = smtp.Say("RCPT TO:<alice@corp.example.test>");
    ASSERT_EQ(rcpt.substr(0, 4), "250 ") << rcpt;
    EXPECT_EQ(smtp.Say("DATA").substr(0, 4), "354 ");
    std::string accepted = smtp.Say(
        std::string("From: Bob Outside <bob@outside.example>\r\n") +
        "To: Alice <alice@corp.example.test>\r\nSubject: " + kSubject +
        "\r\nMessage-ID: <q3-numbers@outside.example>\r\n"
        "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\nThe numbers are attached in spirit.\r\n.");
    ASSERT_EQ(accepted.substr(0, 4), "250 ") << accepted;
    EXPECT_EQ(smtp.Say("QUIT").substr(0, 4), "221 ");
  }

  // `status --wait-applied`: answers once the views hold everything the log held when asked.
  // The import is durable once the node logs "import done", a mail once it got 250; the views
  // fold them just after, and this waits for exactly that, event-driven on the node's side.
  void WaitForViews() {
    std::string output;
    int code = RunLifeboat({"status", "--wait-applied", "--json", "--config", config_}, output);
    ASSERT_EQ(code, 0) << output;
  }

  std::string Run(const std::vector<std::string>& args) {
    std::string output;
    EXPECT_EQ(RunLifeboat(args, output), 0) << output;
    return output;
  }

  static std::string JsonString(const std::string& json, const std::string& key) {
    std::string needle = "\"" + key + "\":\"";
    size_t at = json.find(needle);
    if (at == std::string::npos) return "";
    size_t start = at + needle.size();
    return json.substr(start, json.find('"', start) - start);
  }

  std::string dir_;
  std::string config_;
  uint16_t admin_port_ = 0;
  uint16_t smtp_port_ = 0;
};

TEST_F(MailboxCliIntegrationTest, MailAndDirectoryThroughTheNodeThenFromTheDataDir) {
  Child serve = Spawn({"serve", "--config", config_});
  std::string serve_output;
  ASSERT_TRUE(ReadUntil(serve.output_fd, serve_output, "\"msg\":\"import done\"")) << serve_output;
  ASSERT_TRUE(ReadUntil(serve.output_fd, serve_output, "\"msg\":\"started\"")) << serve_output;
  // The start log counts what the import produced (three users), not the view before it applied.
  const size_t import_at = serve_output.find("\"msg\":\"import done\"");
  const std::string import_line =
      serve_output.substr(import_at, serve_output.find('\n', import_at) - import_at);
  EXPECT_NE(import_line.find("\"entries\":3,"), std::string::npos) << import_line;
  WaitForViews();
  const std::string directory = Run({"directory", "status", "--json", "--config", config_});
  EXPECT_NE(directory.find("\"entries\":3"), std::string::npos) << directory;

  SendMailToAlice();
  WaitForViews();
  const std::string listed =
      Run({"mailbox", "list", "alice@corp.example.test", "--json", "--config", config_});
  EXPECT_NE(listed.find(kSubject), std::string::npos) << listed;
  for (const char* key :
       {"\"mailbox_id\":\"", "\"message_id\":\"", "\"mail_id\":\"", "\"folder\":\"Inbox\"",
        "\"from\":\"bob@outside.example\"", "\"size_bytes\":", "\"received_unix_micros\":",
        "\"message_id_header\":\"q3-numbers@outside.example\"", "\"flags\":[",
        "\"event_index\":"}) {
    EXPECT_NE(listed.find(key), std::string::npos) << key << " in " << listed;
  }
  const std::string mailbox_id = JsonString(listed, "mailbox_id");
  const std::string message_id = JsonString(listed, "message_id");
  ASSERT_FALSE(message_id.empty()) << listed;

  std::string output;
  EXPECT_EQ(RunLifeboat({"mailbox", "list", "a.martin@corp.example.test", "--folder", "Inbox",
                         "--config", config_},
                        output),
            0)
      << output;
  EXPECT_NE(output.find("SUBJECT"), std::string::npos) << output;
  EXPECT_NE(output.find("Quarterly numbers"), std::string::npos) << output;
  EXPECT_NE(output.find(message_id), std::string::npos) << output;

  EXPECT_EQ(RunLifeboat({"mailbox", "show", "alice@corp.example.test", message_id, "--raw",
                         "--config", config_},
                        output),
            0)
      << output;
  EXPECT_NE(output.find("subject     " + std::string(kSubject)), std::string::npos) << output;
  EXPECT_NE(output.find("The numbers are attached in spirit.\r\n"), std::string::npos) << output;

  EXPECT_EQ(RunLifeboat({"mailbox", "ls", "--json", "--config", config_}, output), 0) << output;
  EXPECT_NE(output.find("\"mailbox_id\":\"" + mailbox_id +
                        "\",\"primary_address\":\"alice@corp.example.test\""),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("\"message_count\":1,"), std::string::npos) << output;

  EXPECT_EQ(
      RunLifeboat({"directory", "show", "alice@corp.example.test", "--config", config_}, output), 0)
      << output;
  EXPECT_NE(output.find("\"id\":\"" + mailbox_id + "\""), std::string::npos) << output;
  EXPECT_NE(output.find("\"sam_account_name\":\"alice\""), std::string::npos) << output;
  EXPECT_NE(output.find("\"mobile\":\"+1 555 0101\""), std::string::npos) << output;
  EXPECT_NE(output.find("a.martin@corp.example.test"), std::string::npos) << output;
  EXPECT_NE(output.find("\"disabled\":false"), std::string::npos) << output;

  EXPECT_EQ(RunLifeboat({"directory", "search", "MARTIN", "--config", config_}, output), 0)
      << output;
  EXPECT_NE(output.find("alice@corp.example.test"), std::string::npos) << output;
  EXPECT_EQ(output.find("bob@corp.example.test"), std::string::npos) << output;

  EXPECT_EQ(RunLifeboat({"directory", "status", "--json", "--config", config_}, output), 0)
      << output;
  EXPECT_NE(output.find("\"entries\":3"), std::string::npos) << output;
  EXPECT_NE(output.find("\"import_outcome\":\"ok\""), std::string::npos) << output;

  // Re-importing the unchanged file succeeds; a sync needs an LDAP server this node lacks.
  EXPECT_EQ(RunLifeboat({"directory", "import", "--config", config_}, output), 0) << output;
  EXPECT_NE(output.find("directory import done"), std::string::npos) << output;
  EXPECT_EQ(RunLifeboat({"directory", "sync", "--now", "--config", config_}, output), 1);
  EXPECT_NE(output.find("no LDAP server configured"), std::string::npos) << output;
  EXPECT_EQ(RunLifeboat({"directory", "sync", "--config", config_}, output), 2) << output;

  EXPECT_EQ(
      RunLifeboat({"mailbox", "list", "nobody@corp.example.test", "--config", config_}, output), 1);
  EXPECT_NE(output.find("no mailbox for \"nobody@corp.example.test\""), std::string::npos)
      << output;
  EXPECT_EQ(
      RunLifeboat({"directory", "show", "nobody@corp.example.test", "--config", config_}, output),
      1);

  ASSERT_EQ(kill(serve.pid, SIGTERM), 0);
  EXPECT_EQ(WaitExit(serve, serve_output), 0) << serve_output;

  // Stopped: the same commands read the data dir.
  EXPECT_EQ(
      RunLifeboat({"mailbox", "list", "alice@corp.example.test", "--json", "--config", config_},
                  output),
      0)
      << output;
  EXPECT_NE(output.find(kSubject), std::string::npos) << output;
  EXPECT_NE(output.find("\"message_id\":\"" + message_id + "\""), std::string::npos) << output;
  EXPECT_EQ(RunLifeboat({"mailbox", "show", mailbox_id, message_id, "--raw", "--config", config_},
                        output),
            0)
      << output;
  EXPECT_NE(output.find("The numbers are attached in spirit."), std::string::npos) << output;
  EXPECT_EQ(RunLifeboat({"directory", "status", "--json", "--config", config_}, output), 0)
      << output;
  EXPECT_NE(output.find("\"entries\":3,\"node_running\":false"), std::string::npos) << output;
  EXPECT_EQ(RunLifeboat({"directory", "search", "chen", "--json", "--config", config_}, output), 0)
      << output;
  EXPECT_NE(output.find("\"sam_account_name\":\"bob\""), std::string::npos) << output;
  EXPECT_EQ(RunLifeboat({"directory", "import", "--config", config_}, output), 1);
  EXPECT_NE(output.find("the node is not running"), std::string::npos) << output;
}

// With an LDAP source, `directory sync --now` is accepted (202), polled until done, and reports
// the sync's outcome: here the server refuses plaintext, which the node checks before connecting.
TEST_F(MailboxCliIntegrationTest, SyncNowWaitsForTheOutcomeOfTheSync) {
  std::ofstream(dir_ + "/ldap.password") << "secret\n";
  std::filesystem::permissions(dir_ + "/ldap.password", std::filesystem::perms::owner_read |
                                                            std::filesystem::perms::owner_write);
  std::ofstream(config_, std::ios::app)
      << "ldap_uris = [\"ldap://127.0.0.1:1\"]\nbase_dn = \"dc=corp,dc=example,dc=test\"\n"
      << "bind_dn = \"cn=lifeboat,dc=corp,dc=example,dc=test\"\n"
      << "password_file = \"" << dir_ << "/ldap.password\"\n";
  Child serve = Spawn({"serve", "--config", config_});
  std::string serve_output;
  ASSERT_TRUE(ReadUntil(serve.output_fd, serve_output, "\"msg\":\"started\"")) << serve_output;

  std::string output;
  EXPECT_EQ(RunLifeboat({"directory", "sync", "--now", "--full", "--config", config_}, output), 1);
  EXPECT_NE(output.find("lifeboat: directory full sync failed: "), std::string::npos) << output;
  EXPECT_NE(output.find("plaintext refused"), std::string::npos) << output;
  EXPECT_TRUE(ReadUntil(serve.output_fd, serve_output, "\"msg\":\"operator sync done\""))
      << serve_output;
  EXPECT_EQ(RunLifeboat({"directory", "status", "--json", "--config", config_}, output), 0);
  EXPECT_NE(output.find("\"last_error\":\"Failed precondition: "), std::string::npos) << output;

  ASSERT_EQ(kill(serve.pid, SIGTERM), 0);
  EXPECT_EQ(WaitExit(serve, serve_output), 0) << serve_output;
}

}  // namespace
