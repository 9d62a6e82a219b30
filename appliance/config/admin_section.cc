// [admin]: the admin API listener. Loopback only: the admin API carries the keys to the whole
// node, so it is reached through SSH to the appliance, never over the network (DESIGN.md
// "Security model": the admin API is a separate listener).
#include <charconv>

#include "appliance/config/sections.h"

namespace lifeboat::config {

namespace {

constexpr std::string_view kListenExpected = "a loopback address (127.0.0.1:PORT or [::1]:PORT)";

}  // namespace

Status ParseAdminSection(ConfigSection& section, Config& config) {
  auto listen = section.TakeString("listen", kListenExpected);
  if (!listen.ok()) return listen.status();
  if (!listen->has_value()) return Status::Ok();  // default 127.0.0.1:9025
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(**listen, host, port)) {
    return section.Invalid("listen",
                           "HOST:PORT with PORT in 1..65535 and a loopback HOST "
                           "(127.0.0.1:PORT or [::1]:PORT)");
  }
  if (host != "127.0.0.1" && host != "::1") return section.Invalid("listen", kListenExpected);
  config.admin.listen = **listen;
  config.admin.host = host;
  config.admin.port = port;
  return Status::Ok();
}

}  // namespace lifeboat::config
