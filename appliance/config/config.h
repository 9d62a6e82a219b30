#pragma once
// The node's configuration (/etc/lifeboat/lifeboat.toml). One struct per [section]; each section
// has its parser in its own file (appliance/config/<name>_section.cc) and one line in the section
// list of config.cc. To add a section: a struct here, a field in Config, a parser file, a line in
// kSections. Unknown sections and keys are errors.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/status.h"
#include "appliance/log/logger.h"
#include "modules/routing/health_defaults.h"

namespace lifeboat::config {

// [node]
inline constexpr size_t kIdentifierBytesMax = 64;
inline constexpr std::string_view kIdentifierExpected = "[a-z0-9-]{1,64}";
struct NodeConfig {
  std::string id;          // this node's name, unique in the cluster
  std::string cluster_id;  // written into the data dir at first start; a mismatch refuses to run
  std::string data_dir;    // absolute path; holds log/, state/, admin.token
};

// [admin]
inline constexpr std::string_view kAdminListenDefault = "127.0.0.1:9025";
struct AdminConfig {
  std::string listen = std::string(kAdminListenDefault);
  std::string host = "127.0.0.1";  // "127.0.0.1" or "::1"
  uint16_t port = 9025;
};

// [log]
struct LogConfig {
  LogLevel level = LogLevel::kInfo;
};

// [tls]: the certificate SMTP STARTTLS and HTTPS present. Optional until those listeners exist.
struct TlsConfig {
  std::optional<std::string> certificate;  // PEM file
  std::optional<std::string> private_key;  // PEM file
};

// [eventlog]
inline constexpr int64_t kGroupCommitBatchBytesMin = 64 * 1024;
inline constexpr int64_t kGroupCommitBatchBytesLimit = 64 * 1024 * 1024;
inline constexpr int64_t kGroupCommitBatchBytesDefault = 8 * 1024 * 1024;
struct EventlogConfig {
  int64_t group_commit_batch_bytes_max = kGroupCommitBatchBytesDefault;
};

// [smtp]: the inbound SMTP listener (modules/smtp). Without the section the node runs no SMTP.
inline constexpr int64_t kSmtpMessageBytesMaxLimit = 256ll << 20;
inline constexpr int64_t kSmtpDiskReserveBytesDefault = 1ll << 30;
// The ballast (appliance/ballast.h) must cover what opening the data dir writes: each of the two
// LevelDBs replays its WAL (at most an 8 MiB memtable plus one 8 MiB group-commit batch) into a
// table, so 32 MiB; doubled for margin.
inline constexpr int64_t kSmtpDiskBallastBytesDefault = 64ll << 20;
struct SmtpConfig {
  bool enabled = false;                       // the section is present
  std::string listen;                         // "0.0.0.0:25"
  std::string hostname;                       // greeting, EHLO, Received: header
  std::vector<std::string> domains;           // the domains we receive mail for, lower case
  std::vector<std::string> trusted_networks;  // may relay to other domains (CIDR)
  std::vector<std::string> journal_networks;  // journal sources: mail is filed as history (CIDR)
  int64_t message_bytes_max = 50ll << 20;
  int64_t recipients_per_message_max = 100;
  int64_t sessions_per_ip_max = 20;
  int64_t sessions_total_max = 1000;
  int64_t message_burst_per_ip_max = 60;
  int64_t message_interval_per_ip_ms = 1000;  // 0: no per-client rate limit
  // New mail gets 452 4.3.1 while the data dir's file system has less than this free.
  // Every new event, not only mail, is refused below the reserve (appliance/disk_reserve.h).
  int64_t disk_reserve_bytes = kSmtpDiskReserveBytesDefault;
  // A file of this size kept in the data dir, deleted to start on a full disk; 0: none.
  int64_t disk_ballast_bytes = kSmtpDiskBallastBytesDefault;
};

// [directory]: where the directory comes from. An import file (CSV or LDIF, for administrators
// without LDAP access and for the demo) is imported at every start; LDAP/AD is synced on an
// interval. Both may be set: each owns the entries it brought (DirectoryEntry.source).
inline constexpr int64_t kDirectorySyncIntervalSecondsDefault = 300;
struct DirectoryConfig {
  std::optional<std::string> import_file;  // absolute path, *.csv or *.ldif
  std::vector<std::string> ldap_uris;      // ldaps://dc1.corp.example:636, tried in order
  bool start_tls = false;
  std::string ca_file;  // "" = the system trust store
  std::string bind_dn;
  std::string password_file;  // mode 0600, readable by the service user only
  std::string base_dn;
  std::string filter;  // "" = the module's default
  std::string private_address_attribute = "otherMailbox";
  int64_t sync_interval_seconds = kDirectorySyncIntervalSecondsDefault;
};

// [mailbox]: the history window. Mail older than this is purged (an event per purge).
inline constexpr int64_t kRetentionDaysLimit = 36500;
inline constexpr int64_t kRetentionDaysDefault = 30;
struct MailboxConfig {
  int64_t retention_days = kRetentionDaysDefault;  // 0: keep forever
};

// [routing]: continuity routing (issue #11, appliance/routing_service.h). Without `primaries` the
// node probes nothing and never switches by itself. The thresholds default to
// modules/routing/health_defaults.h, where each figure is justified.
inline constexpr int64_t kRoutingProbeIntervalMsDefault =
    std::chrono::milliseconds(routing::kProbeIntervalDefault).count();
// One probe (connect, banner, EHLO) must end within this bound; below the default interval so a
// probe never overlaps the next.
inline constexpr int64_t kRoutingProbeTimeoutMsDefault = 4000;
struct RoutingConfig {
  bool enabled = false;                // `primaries` is set
  std::vector<std::string> primaries;  // "HOST:PORT" / "[V6]:PORT", numeric hosts
  std::string helo_name;               // EHLO name of the probes; default [smtp] hostname
  int64_t probe_interval_ms = kRoutingProbeIntervalMsDefault;
  int64_t probe_timeout_ms = kRoutingProbeTimeoutMsDefault;
  int64_t failures_to_switch = routing::kFailuresToSwitchDefault;
  int64_t failure_window_ms = std::chrono::milliseconds(routing::kFailureWindowDefault).count();
  int64_t successes_to_recover = routing::kSuccessesToRecoverDefault;
  int64_t hold_down_ms = std::chrono::milliseconds(routing::kHoldDownDefault).count();
  // Each committed mode change is POSTed there as JSON (appliance/routing_webhook.h); "" = none.
  // "http://HOST[:PORT]/PATH" with a numeric host (the node's network does no name lookup).
  std::string webhook_url;
  std::string webhook_address;  // "HOST:PORT" / "[V6]:PORT", derived from the URL
  std::string webhook_path;     // "/" when the URL has none
};

// [dkim]: DKIM signing keys for outbound mail (modules/delivery/dkim_signer.h), one per sender
// domain: keys = ["example.com:mail2026:/etc/lifeboat/dkim/example.com.pem"]. The files are read
// and checked at start (appliance/dkim_keys.h); without the section nothing is signed.
struct DkimKeyConfig {
  std::string domain;    // lower case
  std::string selector;  // published at <selector>._domainkey.<domain>
  std::string key_file;  // absolute path to a PEM private key (RSA >= 1024 bits or Ed25519)
};
struct DkimConfig {
  std::vector<DkimKeyConfig> keys;
};

// [delivery]: how mail is relayed to the [routing] primaries (appliance/delivery_service.h).
// Four connections per primary: a recovering Exchange takes a failback drain without a storm
// (Postfix allows 20 per destination, for internet hosts that are not recovering).
inline constexpr int64_t kDeliveryConcurrencyDefault = 4;
inline constexpr int64_t kDeliveryConnectTimeoutMsDefault = 30'000;  // RFC 5321 4.5.3.2: minutes
enum class DeliveryTls { kVerify, kOpportunistic, kNone };
struct DeliveryConfig {
  int64_t concurrency = kDeliveryConcurrencyDefault;  // connections per destination
  bool connection_reuse = true;            // several mails per connection (RSET between them)
  DeliveryTls tls = DeliveryTls::kVerify;  // the primary's certificate checked against ca_file
  std::string ca_file;                     // PEM; "" for the system's store
  std::string tls_server_name;  // the name the certificate must carry; "" for the primary's IP
  int64_t connect_timeout_ms = kDeliveryConnectTimeoutMsDefault;
  int64_t retry_initial_ms = 60'000;  // delivery::kRetryInitialDefault
};

// [webmail]: HTTPS only, with the [tls] certificate.
struct WebmailConfig {
  bool enabled = false;
  std::string host;
  uint16_t port = 0;
  std::string origin;  // empty: "https://<host>:<port>"
  // The bundled browser UI (modules/webmail/ui). Empty: the first of <dir of the binary>/../
  // webmail-ui (a build tree) and /usr/share/lifeboat/webmail (the .deb) that holds index.html;
  // none: the JSON API is served without a UI. Set: it must hold a UI, or the node does not start.
  std::string ui_dir;
  // Per client address (modules/webmail/address_limits.h); 0: the built-in default.
  uint64_t connections_per_address_max = 0;
  uint64_t requests_per_address_per_minute_max = 0;
};

// [cluster]: Raft replication of the log (issue #13). Without the section the node runs alone
// (SingleNodeProposer); with it, every node of the cluster lists the same members.
struct ClusterMember {
  uint64_t id = 0;      // > 0, unique in the cluster
  std::string address;  // numeric "host:port" of its [cluster] listen
  bool voter = true;    // false: "/standby", replicates without voting
};
struct ClusterConfig {
  bool enabled = false;  // the section is present
  uint64_t node_id = 0;  // this node's Raft id: one of `members`
  std::string listen;    // numeric "host:port" the other nodes connect to
  // Every founding member, this node included ("id@host:port" in the file).
  std::vector<ClusterMember> members;
  std::string ca_certificate;  // PEM: the cluster CA (`lifeboat cluster init`)
  std::string certificate;     // PEM: this node's certificate, signed by the CA
  std::string private_key;     // PEM
};

struct Config {
  std::string origin;  // the file it came from
  NodeConfig node;
  AdminConfig admin;
  LogConfig log;
  TlsConfig tls;
  EventlogConfig eventlog;
  SmtpConfig smtp;
  DirectoryConfig directory;
  MailboxConfig mailbox;
  RoutingConfig routing;
  DeliveryConfig delivery;
  WebmailConfig webmail;
  DkimConfig dkim;
  ClusterConfig cluster;
};

// Parses and validates. Errors are InvalidArgument with a one-line message starting "config: ".
Result<Config> ParseConfig(std::string_view text, std::string_view origin);
// Reads `path` (at most kConfigFileBytesMax) and parses it.
Result<Config> LoadConfigFile(const std::string& path);

// Helpers shared by section parsers.
bool IsIdentifier(std::string_view text);  // [a-z0-9-]{1,64}
// "host:port" or "[v6]:port" with port 1..65535 -> host, port. False when the shape is wrong.
bool SplitHostPort(std::string_view text, std::string& host, uint16_t& port);

}  // namespace lifeboat::config
