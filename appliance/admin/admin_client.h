#pragma once
// The CLI's side of the admin API: one blocking HTTP/1.0 GET over loopback (the CLI has no event
// loop to share, and HTTP/1.0 lets "read until close" delimit the body). Socket timeouts bound
// every wait (SO_RCVTIMEO/SO_SNDTIMEO), so no clock is read here.

#include <cstdint>
#include <string>

#include "appliance/env/status.h"

namespace lifeboat::admin {

inline constexpr int kAdminClientTimeoutSeconds = 10;
inline constexpr size_t kAdminClientResponseBytesMax = 64u << 20;

struct HttpReply {
  int status = 0;
  std::string body;
};

// Unavailable when nothing listens (connection refused): the node is not running.
// IoError for other socket failures and timeouts; Corruption for a malformed reply.
Result<HttpReply> AdminGet(const std::string& host, uint16_t port, const std::string& target,
                           const std::string& token);
// The same with another method ("POST"); the request carries no body (Content-Length: 0).
Result<HttpReply> AdminCall(const std::string& host, uint16_t port, const std::string& method,
                            const std::string& target, const std::string& token);

}  // namespace lifeboat::admin
