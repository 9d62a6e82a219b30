// [webmail]: the HTTPS listener of the webmail (issue 12). Absent: no webmail. It presents the
// [tls] certificate (the one SMTP STARTTLS presents), so [tls] must name one: plain HTTP is never
// served.
#include "appliance/config/sections.h"

namespace lifeboat::config {

namespace {

constexpr std::string_view kListenExpected = "HOST:PORT (0.0.0.0:443, [::]:8443)";
constexpr std::string_view kOriginExpected = "https://HOST[:PORT], as browsers send in Origin";
constexpr std::string_view kUiDirExpected = "the directory of the bundled webmail UI";
constexpr std::string_view kConnectionsExpected = "connections per client address, 1..100000";
constexpr std::string_view kRequestsExpected = "requests per client address per minute, 1..1000000";

}  // namespace

Status ParseWebmailSection(ConfigSection& section, Config& config) {
  auto listen = section.TakeString("listen", kListenExpected);
  if (!listen.ok()) return listen.status();
  auto origin = section.TakeString("origin", kOriginExpected);
  if (!origin.ok()) return origin.status();
  auto ui_dir = section.TakeString("ui_dir", kUiDirExpected);
  if (!ui_dir.ok()) return ui_dir.status();
  auto connections = section.TakeInteger("connections_per_address_max", kConnectionsExpected);
  if (!connections.ok()) return connections.status();
  auto requests = section.TakeInteger("requests_per_address_per_minute_max", kRequestsExpected);
  if (!requests.ok()) return requests.status();
  if (connections->has_value() && (**connections < 1 || **connections > 100'000)) {
    return section.Invalid("connections_per_address_max", kConnectionsExpected);
  }
  if (requests->has_value() && (**requests < 1 || **requests > 1'000'000)) {
    return section.Invalid("requests_per_address_per_minute_max", kRequestsExpected);
  }
  if (!listen->has_value()) {
    if (origin->has_value()) return section.Missing("listen", kListenExpected);
    return Status::Ok();  // no webmail
  }
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(**listen, host, port)) return section.Invalid("listen", kListenExpected);
  if (origin->has_value()) {
    const std::string& value = **origin;
    if (!value.starts_with("https://") || value.size() == 8 || value.back() == '/') {
      return section.Invalid("origin", kOriginExpected);
    }
  }
  if (!config.tls.certificate.has_value()) {
    return section.Invalid("listen", kListenExpected,
                           "the webmail serves HTTPS only: set [tls] certificate and private_key");
  }
  config.webmail.enabled = true;
  config.webmail.host = host;
  config.webmail.port = port;
  if (origin->has_value()) config.webmail.origin = **origin;
  if (ui_dir->has_value()) {
    if (ui_dir->value().empty()) return section.Invalid("ui_dir", kUiDirExpected);
    config.webmail.ui_dir = **ui_dir;
  }
  if (connections->has_value()) config.webmail.connections_per_address_max = **connections;
  if (requests->has_value()) config.webmail.requests_per_address_per_minute_max = **requests;
  return Status::Ok();
}

}  // namespace lifeboat::config
