#pragma once
// How a listener's or a peer's address is shown in logs, errors and status.

#include <cstdint>
#include <string>

namespace lifeboat::admin {

// "host:port", an IPv6 host in brackets (RFC 3986 section 3.2.2): "127.0.0.1:8025", "[::1]:8025".
inline std::string HostPort(const std::string& host, uint16_t port) {
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return shown + ":" + std::to_string(port);
}

}  // namespace lifeboat::admin
