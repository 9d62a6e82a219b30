#pragma once
// The admin API as a sans-I/O core: a request (method, path, query, Authorization header) in, a
// response out. The evhttp driver (admin_server.h) only moves bytes. Endpoints:
//   GET /healthz              no auth: "ok" (liveness for systemd and the integration test)
//   GET /v1/status            JSON: identity, version, uptime, log and projection indices, ...
//   GET /metrics              Prometheus text format
//   GET /v1/log?from=N&count=M  events as JSON, one object per line ("application/x-ndjson")
// Every endpoint but /healthz needs "Authorization: Bearer <token>" (RFC 6750 section 2.1); a
// missing or wrong token gets 401 with WWW-Authenticate: Bearer (RFC 6750 section 3).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "appliance/env/status.h"

namespace lifeboat::admin {

// Limits, units last.
inline constexpr size_t kAdminRequestBytesMax = 16 * 1024;     // headers + body
inline constexpr size_t kAdminRequestBodyBytesMax = 4 * 1024;  // no endpoint takes a body yet
inline constexpr int kAdminRequestTimeoutSeconds = 10;
inline constexpr uint64_t kAdminLogCountDefault = 20;
inline constexpr uint64_t kAdminLogCountMax = 1000;

struct AdminRequest {
  std::string method;         // "GET"
  std::string path;           // "/v1/log"
  std::string query;          // "from=1&count=5", without '?'
  std::string authorization;  // the Authorization header, "" when absent
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// What the API reads from the node. Implemented by the node; loop thread.
class AdminBackend {
 public:
  virtual ~AdminBackend() = default;
  virtual std::string StatusJson() = 0;
  virtual std::string MetricsText() = 0;
  // Events from..from+count-1 (clamped to the log), one JSON object per line. NotFound when
  // `from` is outside the log.
  virtual Result<std::string> LogJson(uint64_t from, uint64_t count) = 0;
};

class AdminRouter {
 public:
  // `backend` must outlive the router.
  AdminRouter(AdminBackend& backend, std::string token)
      : backend_(backend), token_(std::move(token)) {}

  AdminResponse Handle(const AdminRequest& request);

 private:
  bool Authorized(const AdminRequest& request) const;
  AdminResponse HandleLog(const AdminRequest& request);

  AdminBackend& backend_;
  const std::string token_;
};

// Parses "a=1&b=2" for the unsigned integer `name`. nullopt-like: false when absent; an error
// when present but not a decimal integer.
Result<bool> QueryUint(std::string_view query, std::string_view name, uint64_t& value);

}  // namespace lifeboat::admin
