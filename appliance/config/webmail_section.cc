// [webmail]: the HTTPS listener of the webmail (issue 12). Absent: no webmail. It presents the
// [tls] certificate (the one SMTP STARTTLS presents), so [tls] must name one: plain HTTP is never
// served.
#include "appliance/config/sections.h"

namespace lifeboat::config {

namespace {

constexpr std::string_view kListenExpected = "HOST:PORT (0.0.0.0:443, [::]:8443)";
constexpr std::string_view kOriginExpected = "https://HOST[:PORT], as browsers send in Origin";
constexpr std::string_view kUiDirExpected = "the directory of the bundled webmail UI";

}  // namespace

Status ParseWebmailSection(ConfigSection& section, Config& config) {
  auto listen = section.TakeString("listen", kListenExpected);
  if (!listen.ok()) return listen.status();
  auto origin = section.TakeString("origin", kOriginExpected);
  if (!origin.ok()) return origin.status();
  auto ui_dir = section.TakeString("ui_dir", kUiDirExpected);
  if (!ui_dir.ok()) return ui_dir.status();
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
  return Status::Ok();
}

}  // namespace lifeboat::config
