// Configuration: one good file parses; every bad one fails with the exact operator-facing line.
#include "appliance/config/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace lifeboat::config {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lifeboat-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    certificate_ = dir_ + "/cert.pem";
    key_ = dir_ + "/key.pem";
    std::ofstream(certificate_) << "-----BEGIN CERTIFICATE-----\n";
    std::ofstream(key_) << "-----BEGIN PRIVATE KEY-----\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Good() const {
    return "[node]\n"
           "id = \"n1\"\n"
           "cluster_id = \"acme-prod\"\n"
           "data_dir = \"/var/lib/lifeboat\"\n"
           "[admin]\n"
           "listen = \"127.0.0.1:9025\"\n"
           "[log]\n"
           "level = \"debug\"\n"
           "[tls]\n"
           "certificate = \"" +
           certificate_ +
           "\"\n"
           "private_key = \"" +
           key_ +
           "\"\n"
           "[eventlog]\n"
           "group_commit_batch_bytes_max = 1048576\n";
  }

  // The message of the error parsing `text`; fails the test when it parses.
  std::string ErrorOf(const std::string& text) {
    Result<Config> config = ParseConfig(text, "test.toml");
    EXPECT_FALSE(config.ok()) << text;
    if (config.ok()) return "";
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
    return config.status().message();
  }

  std::string Replace(std::string text, const std::string& from, const std::string& to) {
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  }

  std::string dir_;
  std::string certificate_;
  std::string key_;
};

TEST_F(ConfigTest, GoodConfigParses) {
  Result<Config> config = ParseConfig(Good(), "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->node.id, "n1");
  EXPECT_EQ(config->node.cluster_id, "acme-prod");
  EXPECT_EQ(config->node.data_dir, "/var/lib/lifeboat");
  EXPECT_EQ(config->admin.host, "127.0.0.1");
  EXPECT_EQ(config->admin.port, 9025);
  EXPECT_EQ(config->log.level, LogLevel::kDebug);
  EXPECT_EQ(config->tls.certificate, certificate_);
  EXPECT_EQ(config->tls.private_key, key_);
  EXPECT_EQ(config->eventlog.group_commit_batch_bytes_max, 1048576);
}

TEST_F(ConfigTest, MinimalConfigTakesDefaults) {
  Result<Config> config =
      ParseConfig("[node]\nid = \"n1\"\ncluster_id = \"c\"\ndata_dir = \"/d\"\n", "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->admin.listen, "127.0.0.1:9025");
  EXPECT_EQ(config->log.level, LogLevel::kInfo);
  EXPECT_FALSE(config->tls.certificate.has_value());
  EXPECT_EQ(config->eventlog.group_commit_batch_bytes_max, kGroupCommitBatchBytesDefault);
}

TEST_F(ConfigTest, Ipv6LoopbackAdminListen) {
  Result<Config> config = ParseConfig(Replace(Good(), "127.0.0.1:9025", "[::1]:9026"), "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->admin.host, "::1");
  EXPECT_EQ(config->admin.port, 9026);
}

TEST_F(ConfigTest, NonLoopbackAdminListen) {
  EXPECT_EQ(ErrorOf(Replace(Good(), "127.0.0.1:9025", "0.0.0.0:9025")),
            "config: admin.listen = \"0.0.0.0:9025\": expected a loopback address "
            "(127.0.0.1:PORT or [::1]:PORT)");
}

TEST_F(ConfigTest, AdminListenWithoutPort) {
  EXPECT_EQ(ErrorOf(Replace(Good(), "127.0.0.1:9025", "127.0.0.1")),
            "config: admin.listen = \"127.0.0.1\": expected HOST:PORT with PORT in 1..65535 and a "
            "loopback HOST (127.0.0.1:PORT or [::1]:PORT)");
}

TEST_F(ConfigTest, MissingClusterId) {
  EXPECT_EQ(ErrorOf(Replace(Good(), "cluster_id = \"acme-prod\"\n", "")),
            "config: node.cluster_id: missing, expected [a-z0-9-]{1,64}");
}

TEST_F(ConfigTest, BadClusterIdCharacters) {
  EXPECT_EQ(ErrorOf(Replace(Good(), "acme-prod", "Acme_Prod")),
            "config: node.cluster_id = \"Acme_Prod\": expected [a-z0-9-]{1,64}");
}

TEST_F(ConfigTest, ClusterIdTooLong) {
  std::string long_id(65, 'a');
  EXPECT_EQ(ErrorOf(Replace(Good(), "acme-prod", long_id)),
            "config: node.cluster_id = \"" + long_id + "\": expected [a-z0-9-]{1,64}");
}

TEST_F(ConfigTest, NodeIdNotAString) {
  EXPECT_EQ(ErrorOf(Replace(Good(), "id = \"n1\"", "id = 7")),
            "config: node.id = 7: not a string, expected [a-z0-9-]{1,64}");
}

TEST_F(ConfigTest, RelativeDataDir) {
  EXPECT_EQ(ErrorOf(Replace(Good(), "/var/lib/lifeboat", "var/lib/lifeboat")),
            "config: node.data_dir = \"var/lib/lifeboat\": expected an absolute path");
}

TEST_F(ConfigTest, UnknownKeyIsAnError) {
  EXPECT_EQ(ErrorOf(Replace(Good(), "cluster_id = \"acme-prod\"\n",
                            "cluster_id = \"acme-prod\"\nclusterid = \"x\"\n")),
            "config: node.clusterid: unknown key (known keys: id, cluster_id, data_dir)");
}

TEST_F(ConfigTest, UnknownSectionIsAnError) {
  EXPECT_EQ(
      ErrorOf(Good() + "[smtpp]\nport = 25\n"),
      "config: [smtpp]: unknown section (known sections: node, admin, log, tls, eventlog, smtp, "
      "directory, mailbox, routing, delivery, webmail, dkim, cluster)");
}

// [delivery]: how mail reaches the primary; a typo in the TLS mode must stop the start rather
// than relay in plaintext.
TEST_F(ConfigTest, DeliverySectionParsesAndDefaultsToVerifiedTls) {
  Result<Config> defaults = ParseConfig(Good(), "test.toml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->delivery.tls, DeliveryTls::kVerify);
  EXPECT_EQ(defaults->delivery.concurrency, kDeliveryConcurrencyDefault);
  EXPECT_TRUE(defaults->delivery.connection_reuse);
  Result<Config> config =
      ParseConfig(Good() +
                      "[delivery]\nconcurrency = 2\nconnection_reuse = false\n"
                      "tls = \"opportunistic\"\nca_file = \"/etc/ca.pem\"\n"
                      "tls_server_name = \"mx.corp.test\"\nretry_initial_ms = 1000\n",
                  "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->delivery.concurrency, 2);
  EXPECT_FALSE(config->delivery.connection_reuse);
  EXPECT_EQ(config->delivery.tls, DeliveryTls::kOpportunistic);
  EXPECT_EQ(config->delivery.ca_file, "/etc/ca.pem");
  EXPECT_EQ(config->delivery.tls_server_name, "mx.corp.test");
  EXPECT_EQ(config->delivery.retry_initial_ms, 1000);
  std::string error = ErrorOf(Good() + "[delivery]\ntls = \"sometimes\"\n");
  EXPECT_NE(error.find("delivery.tls"), std::string::npos) << error;
  EXPECT_NE(error.find("\"verify\", \"opportunistic\" or \"none\""), std::string::npos) << error;
  error = ErrorOf(Good() + "[delivery]\nconcurrency = 0\n");
  EXPECT_NE(error.find("delivery.concurrency"), std::string::npos) << error;
}

// [smtp] and [directory]: the relay rules and the recipient domains must parse, or the node
// would open a relay or bounce the company's mail.
TEST_F(ConfigTest, SmtpSectionParses) {
  Result<Config> config =
      ParseConfig(Good() +
                      "[smtp]\n"
                      "listen = \"0.0.0.0:25\"\n"
                      "hostname = \"mx.example.com\"\n"
                      "domains = [\"Example.COM\", \"example.org\"]\n"
                      "trusted_networks = [\"192.0.2.0/24\", \"2001:db8::/32\"]\n"
                      "message_bytes_max = 1048576\n",
                  "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->smtp.enabled);
  EXPECT_EQ(config->smtp.domains, (std::vector<std::string>{"example.com", "example.org"}));
  EXPECT_EQ(config->smtp.message_bytes_max, 1048576);
}

TEST_F(ConfigTest, SmtpBadTrustedNetwork) {
  std::string error =
      ErrorOf(Good() +
              "[smtp]\nlisten = \"0.0.0.0:25\"\nhostname = \"mx.example.com\"\n"
              "domains = [\"example.com\"]\ntrusted_networks = [\"10.0.0.0/33\"]\n");
  EXPECT_EQ(error.rfind("config: smtp.trusted_networks = [ '10.0.0.0/33' ]: ", 0), 0u) << error;
  EXPECT_NE(error.find("expected an array of IPv4/IPv6 addresses or CIDR blocks"),
            std::string::npos)
      << error;
}

TEST_F(ConfigTest, SmtpHalfConfiguredIsAnError) {
  EXPECT_EQ(ErrorOf(Good() + "[smtp]\nlisten = \"0.0.0.0:25\"\n"),
            "config: smtp.hostname: missing, expected a fully qualified host name "
            "(\"mx.example.com\")");
}

TEST_F(ConfigTest, SmtpDomainsMustBeDomainNames) {
  EXPECT_EQ(ErrorOf(Good() + "[smtp]\nlisten = \"0.0.0.0:25\"\nhostname = \"mx.example.com\"\n"
                             "domains = [\"exa mple.com\"]\n"),
            "config: smtp.domains = [ 'exa mple.com' ]: 'exa mple.com' is not a domain name, "
            "expected a non-empty array of domain names ([\"example.com\"])");
}

TEST_F(ConfigTest, SmtpRecipientsBelowRfcMinimum) {
  EXPECT_EQ(ErrorOf(Good() + "[smtp]\nlisten = \"0.0.0.0:25\"\nhostname = \"mx.example.com\"\n"
                             "domains = [\"example.com\"]\nrecipients_per_message_max = 10\n"),
            "config: smtp.recipients_per_message_max = 10: expected an integer in 100..10000");
}

TEST_F(ConfigTest, DirectoryImportMustBeCsvOrLdif) {
  EXPECT_EQ(ErrorOf(Good() + "[directory]\nimport_file = \"/etc/passwd\"\n"),
            "config: directory.import_file = \"/etc/passwd\": expected an absolute path to a "
            "readable .csv or .ldif file");
}

TEST_F(ConfigTest, DirectoryLdapNeedsBaseDn) {
  EXPECT_EQ(ErrorOf(Good() + "[directory]\nldap_uris = [\"ldaps://dc1.example.com\"]\n"),
            "config: directory.base_dn: missing, expected the directory's base DN");
}

TEST_F(ConfigTest, DirectoryUriMustBeLdap) {
  EXPECT_EQ(ErrorOf(Good() + "[directory]\nldap_uris = [\"http://dc1\"]\n"),
            "config: directory.ldap_uris = [ 'http://dc1' ]: 'http://dc1' is not an LDAP URI, "
            "expected an array of ldap:// or ldaps:// URIs ([\"ldaps://dc1.example.com\"])");
}

TEST_F(ConfigTest, BadLogLevel) {
  EXPECT_EQ(ErrorOf(Replace(Good(), "\"debug\"", "\"verbose\"")),
            "config: log.level = \"verbose\": expected one of debug, info, warn, error");
}

TEST_F(ConfigTest, UnreadableCertificate) {
  EXPECT_EQ(ErrorOf(Replace(Good(), certificate_, dir_ + "/missing.pem")),
            "config: tls.certificate = \"" + dir_ +
                "/missing.pem\": cannot read it (No such file or directory), expected an "
                "absolute path to a readable PEM certificate");
}

TEST_F(ConfigTest, CertificateWithoutKey) {
  EXPECT_EQ(ErrorOf(Replace(Good(), "private_key = \"" + key_ + "\"\n", "")),
            "config: tls.private_key: missing, expected an absolute path to a readable PEM "
            "private key");
}

TEST_F(ConfigTest, WebmailSectionParses) {
  Result<Config> config = ParseConfig(
      Good() + "[webmail]\nlisten = \"0.0.0.0:8443\"\norigin = \"https://mail.acme.test\"\n",
      "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->webmail.enabled);
  EXPECT_EQ(config->webmail.host, "0.0.0.0");
  EXPECT_EQ(config->webmail.port, 8443);
  EXPECT_EQ(config->webmail.origin, "https://mail.acme.test");
}

TEST_F(ConfigTest, NoWebmailSectionMeansNoWebmail) {
  Result<Config> config = ParseConfig(Good(), "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->webmail.enabled);
}

TEST_F(ConfigTest, WebmailNeedsTheTlsCertificate) {
  std::string text = Replace(Good(), "certificate = \"" + certificate_ + "\"\n", "");
  text = Replace(text, "private_key = \"" + key_ + "\"\n", "");
  EXPECT_EQ(ErrorOf(text + "[webmail]\nlisten = \"127.0.0.1:8443\"\n"),
            "config: webmail.listen = \"127.0.0.1:8443\": the webmail serves HTTPS only: set "
            "[tls] certificate and private_key, expected HOST:PORT (0.0.0.0:443, [::]:8443)");
}

TEST_F(ConfigTest, WebmailOriginMustBeHttps) {
  EXPECT_NE(ErrorOf(Good() + "[webmail]\nlisten = \"127.0.0.1:8443\"\norigin = "
                             "\"http://mail.acme.test\"\n")
                .find("webmail.origin"),
            std::string::npos);
}

TEST_F(ConfigTest, BatchBytesOutOfRange) {
  EXPECT_EQ(ErrorOf(Replace(Good(), "1048576", "1")),
            "config: eventlog.group_commit_batch_bytes_max = 1: expected an integer in [65536, "
            "67108864] (bytes)");
}

TEST_F(ConfigTest, TopLevelKeyOutsideSection) {
  EXPECT_EQ(ErrorOf("debug = true\n" + Good()),
            "config: debug = true: expected a [section], not a top-level key");
}

TEST_F(ConfigTest, TomlSyntaxErrorNamesLine) {
  EXPECT_EQ(ErrorOf("[node]\nid = \"n1\nx\n"),
            "config: test.toml:2:9: Error while parsing string: unescaped control characters other "
            "than TAB (U+0009) are explicitly prohibited");
}

TEST_F(ConfigTest, MissingFileIsIoError) {
  Result<Config> config = LoadConfigFile(dir_ + "/absent.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kIoError);
  EXPECT_EQ(config.status().message(),
            "config: cannot open " + dir_ + "/absent.toml: No such file or directory");
}

TEST_F(ConfigTest, RetentionDaysOutOfRange) {
  EXPECT_EQ(ErrorOf(Good() + "[mailbox]\nretention_days = -1\n"),
            "config: mailbox.retention_days = -1: expected an integer in 0..36500 (days; 0 keeps "
            "mail forever)");
}

}  // namespace
TEST_F(ConfigTest, RoutingIsOffWithoutTheSection) {
  Result<Config> config = ParseConfig(Good(), "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->routing.enabled);
}

TEST_F(ConfigTest, RoutingPrimariesAndOverriddenThresholds) {
  Result<Config> config = ParseConfig(Good() +
                                          "[routing]\n"
                                          "primaries = [\"10.0.0.5:25\", \"[::1]:2525\"]\n"
                                          "probe_interval_ms = 200\n"
                                          "probe_timeout_ms = 150\n"
                                          "failures_to_switch = 2\n"
                                          "failure_window_ms = 1000\n"
                                          "successes_to_recover = 3\n"
                                          "hold_down_ms = 1500\n",
                                      "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const RoutingConfig& routing = config->routing;
  EXPECT_TRUE(routing.enabled);
  EXPECT_EQ(routing.primaries, (std::vector<std::string>{"10.0.0.5:25", "[::1]:2525"}));
  EXPECT_EQ(routing.probe_interval_ms, 200);
  EXPECT_EQ(routing.probe_timeout_ms, 150);
  EXPECT_EQ(routing.failures_to_switch, 2);
  EXPECT_EQ(routing.failure_window_ms, 1000);
  EXPECT_EQ(routing.successes_to_recover, 3);
  EXPECT_EQ(routing.hold_down_ms, 1500);
  EXPECT_FALSE(routing.helo_name.empty());
}

TEST_F(ConfigTest, RoutingDefaultsComeFromTheHealthDefaults) {
  Result<Config> config =
      ParseConfig(Good() + "[routing]\nprimaries = [\"10.0.0.5:25\"]\n", "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->routing.probe_interval_ms, 5000);
  EXPECT_EQ(config->routing.failures_to_switch, 3);
  EXPECT_EQ(config->routing.failure_window_ms, 30000);
  EXPECT_EQ(config->routing.successes_to_recover, 5);
  EXPECT_EQ(config->routing.hold_down_ms, 300000);
}

TEST_F(ConfigTest, RoutingErrorsSayWhatIsExpected) {
  EXPECT_EQ(ErrorOf(Good() + "[routing]\nprimaries = [\"mail.example.com:25\"]\n"),
            "config: routing.primaries = [ 'mail.example.com:25' ]: 'mail.example.com:25', "
            "expected a non-empty array of \"HOST:PORT\" with a numeric host "
            "([\"10.0.0.5:25\"])");
  EXPECT_EQ(ErrorOf(Good() + "[routing]\nprobe_interval_ms = 1000\n"),
            "config: routing.primaries: missing, expected a non-empty array of \"HOST:PORT\" with "
            "a numeric host ([\"10.0.0.5:25\"])");
  EXPECT_EQ(ErrorOf(Good() + "[routing]\nprimaries = [\"10.0.0.5:25\"]\nprobe_interval_ms = 10\n"),
            "config: routing.probe_interval_ms = 10: expected an integer in 100..3600000 "
            "(milliseconds)");
  EXPECT_EQ(ErrorOf(Good() + "[routing]\nprimaries = [\"10.0.0.5:25\"]\n"
                             "probe_interval_ms = 1000\nprobe_timeout_ms = 1000\n"),
            "config: routing.probe_timeout_ms = 1000: a probe must end before the next one "
            "starts, expected less than probe_interval_ms");
  EXPECT_EQ(ErrorOf(Good() + "[routing]\nprimaries = [\"10.0.0.5:25\"]\n"
                             "failures_to_switch = 5\nfailure_window_ms = 1000\n"),
            "config: routing.failure_window_ms = 1000: the failures could never fall within the "
            "window, expected at least (failures_to_switch - 1) x probe_interval_ms = 20000");
  EXPECT_NE(ErrorOf(Good() + "[routing]\nprimaries = [\"10.0.0.5:25\", \"10.0.0.5:25\"]\n"), "");
}

// [routing] webhook_url: where mode changes are POSTed (appliance/routing_webhook.h).
TEST_F(ConfigTest, RoutingWebhookUrl) {
  Result<Config> config = ParseConfig(Good() +
                                          "[routing]\nprimaries = [\"10.0.0.5:25\"]\n"
                                          "webhook_url = \"http://10.0.0.9:8080/hooks/lifeboat\"\n",
                                      "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->routing.webhook_url, "http://10.0.0.9:8080/hooks/lifeboat");
  EXPECT_EQ(config->routing.webhook_address, "10.0.0.9:8080");
  EXPECT_EQ(config->routing.webhook_path, "/hooks/lifeboat");
  Result<Config> bare = ParseConfig(
      Good() + "[routing]\nprimaries = [\"10.0.0.5:25\"]\nwebhook_url = \"http://[::1]\"\n",
      "test.toml");
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_EQ(bare->routing.webhook_address, "[::1]:80");
  EXPECT_EQ(bare->routing.webhook_path, "/");

  EXPECT_EQ(ErrorOf(Good() + "[routing]\nprimaries = [\"10.0.0.5:25\"]\n"
                             "webhook_url = \"https://10.0.0.9/x\"\n"),
            "config: routing.webhook_url = \"https://10.0.0.9/x\": https:// is not supported yet "
            "(no client TLS in the node's network), expected \"http://HOST[:PORT]/PATH\" with a "
            "numeric host (\"http://10.0.0.9:8080/lifeboat\")");
  EXPECT_NE(ErrorOf(Good() + "[routing]\nprimaries = [\"10.0.0.5:25\"]\n"
                             "webhook_url = \"http://hooks.example.test/x\"\n"),
            "");
  EXPECT_NE(ErrorOf(Good() + "[routing]\nprimaries = [\"10.0.0.5:25\"]\n"
                             "webhook_url = \"http://10.0.0.9/a b\"\n"),
            "");
  // A webhook without primaries would never fire: the primaries are asked for.
  EXPECT_NE(ErrorOf(Good() + "[routing]\nwebhook_url = \"http://10.0.0.9/\"\n")
                .find("routing.primaries: missing"),
            std::string::npos);
}

// [dkim]: one key per sender domain; only the shape here (the key files: dkim_keys.h).
TEST_F(ConfigTest, DkimKeys) {
  Result<Config> config =
      ParseConfig(Good() +
                      "[dkim]\nkeys = [\"Example.COM:mail2026:/etc/lifeboat/dkim/a.pem\", "
                      "\"example.org:s1:/etc/lifeboat/dkim/b:c.pem\"]\n",
                  "test.toml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->dkim.keys.size(), 2u);
  EXPECT_EQ(config->dkim.keys[0].domain, "example.com");
  EXPECT_EQ(config->dkim.keys[0].selector, "mail2026");
  EXPECT_EQ(config->dkim.keys[0].key_file, "/etc/lifeboat/dkim/a.pem");
  EXPECT_EQ(config->dkim.keys[1].key_file, "/etc/lifeboat/dkim/b:c.pem");
  EXPECT_TRUE(ParseConfig(Good(), "test.toml")->dkim.keys.empty());

  EXPECT_EQ(ErrorOf(Good() + "[dkim]\nkeys = [\"example.com:/etc/k.pem\"]\n"),
            "config: dkim.keys = [ 'example.com:/etc/k.pem' ]: 'example.com:/etc/k.pem': three "
            "parts needed, expected an array of \"DOMAIN:SELECTOR:/absolute/path/to/key.pem\" "
            "([\"example.com:mail2026:/etc/lifeboat/dkim/example.com.pem\"])");
  EXPECT_NE(ErrorOf(Good() + "[dkim]\nkeys = [\"example.com:s1:relative.pem\"]\n")
                .find("'relative.pem' is not an absolute path"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Good() + "[dkim]\nkeys = [\"example.com:s;1:/k.pem\"]\n")
                .find("'s;1' is not a selector"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(Good() + "[dkim]\nkeys = [\"example.com:a:/k.pem\", \"EXAMPLE.com:b:/l.pem\"]\n")
          .find("two keys for example.com"),
      std::string::npos);
}

}  // namespace lifeboat::config
