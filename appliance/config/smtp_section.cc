// [smtp]: the inbound listener. Checked at load time: a relay rule or a domain list that does not
// parse must stop the start, not open a relay or bounce a company's mail later.
#include <algorithm>
#include <cctype>

#include "appliance/config/sections.h"
#include "modules/ascii/ascii_case.h"
#include "modules/smtp/policy/cidr.h"

namespace lifeboat::config {
namespace {

constexpr std::string_view kListenExpected = "HOST:PORT with PORT in 1..65535 (\"0.0.0.0:25\")";
constexpr std::string_view kHostnameExpected = "a fully qualified host name (\"mx.example.com\")";
constexpr std::string_view kDomainsExpected =
    "a non-empty array of domain names ([\"example.com\"])";
constexpr std::string_view kNetworksExpected =
    "an array of IPv4/IPv6 addresses or CIDR blocks ([\"192.0.2.0/24\"])";

// RFC 5321 4.1.2 Domain: dot-separated labels of letters, digits and hyphens (RFC 1035 2.3.1),
// labels at most 63 octets, the whole at most 255.
bool IsDomainName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  size_t label = 0;
  char previous = '.';
  for (char c : name) {
    if (c == '.') {
      if (label == 0 || previous == '-') return false;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    previous = c;
  }
  return label > 0 && previous != '-';
}

// Reads an integer key into `out` when present, checking min <= value <= max.
Status TakeBounded(ConfigSection& section, std::string_view key, int64_t min, int64_t max,
                   int64_t& out) {
  std::string expected = "an integer in " + std::to_string(min) + ".." + std::to_string(max);
  auto value = section.TakeInteger(key, expected);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status::Ok();
  if (**value < min || **value > max) return section.Invalid(key, expected);
  out = **value;
  return Status::Ok();
}

Status TakeNetworks(ConfigSection& section, std::string_view key, std::vector<std::string>& out) {
  auto networks = section.TakeStringList(key, kNetworksExpected);
  if (!networks.ok()) return networks.status();
  if (!networks->has_value()) return Status::Ok();
  Result<smtp::CidrList> parsed = smtp::CidrList::Parse(**networks);
  if (!parsed.ok()) return section.Invalid(key, kNetworksExpected, parsed.status().message());
  out = **networks;
  return Status::Ok();
}

}  // namespace

Status ParseSmtpSection(ConfigSection& section, Config& config) {
  SmtpConfig& smtp = config.smtp;
  auto listen = section.TakeString("listen", kListenExpected);
  if (!listen.ok()) return listen.status();
  auto hostname = section.TakeString("hostname", kHostnameExpected);
  if (!hostname.ok()) return hostname.status();
  auto domains = section.TakeStringList("domains", kDomainsExpected);
  if (!domains.ok()) return domains.status();
  LB_RETURN_IF_ERROR(TakeNetworks(section, "trusted_networks", smtp.trusted_networks));
  LB_RETURN_IF_ERROR(TakeNetworks(section, "journal_networks", smtp.journal_networks));
  LB_RETURN_IF_ERROR(TakeBounded(section, "message_bytes_max", 1024, kSmtpMessageBytesMaxLimit,
                                 smtp.message_bytes_max));
  // RFC 5321 4.5.3.1.8: at least 100 recipients must be accepted.
  LB_RETURN_IF_ERROR(TakeBounded(section, "recipients_per_message_max", 100, 10000,
                                 smtp.recipients_per_message_max));
  LB_RETURN_IF_ERROR(
      TakeBounded(section, "sessions_per_ip_max", 1, 100000, smtp.sessions_per_ip_max));
  LB_RETURN_IF_ERROR(
      TakeBounded(section, "sessions_total_max", 1, 100000, smtp.sessions_total_max));
  LB_RETURN_IF_ERROR(
      TakeBounded(section, "message_burst_per_ip_max", 1, 1000000, smtp.message_burst_per_ip_max));
  LB_RETURN_IF_ERROR(TakeBounded(section, "message_interval_per_ip_ms", 0, 3600000,
                                 smtp.message_interval_per_ip_ms));
  LB_RETURN_IF_ERROR(
      TakeBounded(section, "disk_reserve_bytes", 0, 1ll << 50, smtp.disk_reserve_bytes));
  LB_RETURN_IF_ERROR(
      TakeBounded(section, "disk_ballast_bytes", 0, 1ll << 40, smtp.disk_ballast_bytes));

  // No listen, hostname or domains: no SMTP listener. Some but not all: a half-done edit.
  if (!listen->has_value() && !hostname->has_value() && !domains->has_value()) return Status::Ok();
  if (!listen->has_value()) return section.Missing("listen", kListenExpected);
  if (!hostname->has_value()) return section.Missing("hostname", kHostnameExpected);
  if (!domains->has_value()) return section.Missing("domains", kDomainsExpected);
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(**listen, host, port)) return section.Invalid("listen", kListenExpected);
  if (!IsDomainName(**hostname) || (*hostname)->find('.') == std::string::npos) {
    return section.Invalid("hostname", kHostnameExpected);
  }
  if ((*domains)->empty()) return section.Invalid("domains", kDomainsExpected, "empty");
  for (const std::string& domain : **domains) {
    if (!IsDomainName(domain)) {
      return section.Invalid("domains", kDomainsExpected, "'" + domain + "' is not a domain name");
    }
    smtp.domains.push_back(ascii::Lower(domain));
  }
  smtp.enabled = true;
  smtp.listen = **listen;
  smtp.hostname = **hostname;
  return Status::Ok();
}

}  // namespace lifeboat::config
