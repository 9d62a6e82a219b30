#include "appliance/admin/admin_router.h"

#include <charconv>
#include <string_view>

#include "appliance/admin/admin_token.h"
#include "appliance/json/json_writer.h"

namespace lifeboat::admin {

namespace {

AdminResponse Text(int status, std::string body) {
  AdminResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

AdminResponse Json(int status, std::string body) {
  AdminResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  response.body.push_back('\n');
  return response;
}

AdminResponse JsonError(int status, std::string_view message) {
  return Json(status, json::ObjectWriter().String("error", message).Finish());
}

}  // namespace

Result<bool> QueryUint(std::string_view query, std::string_view name, uint64_t& value) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t equals = pair.find('=');
    if (pair.substr(0, equals) != name) continue;
    std::string_view text = equals == std::string_view::npos ? "" : pair.substr(equals + 1);
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
      return Status::InvalidArgument(std::string(name) + "=" + std::string(text) +
                                     ": expected a decimal integer");
    }
    return true;
  }
  return false;
}

bool AdminRouter::Authorized(const AdminRequest& request) const {
  constexpr std::string_view kScheme = "Bearer ";
  std::string_view header = request.authorization;
  if (header.size() <= kScheme.size() || header.substr(0, kScheme.size()) != kScheme) return false;
  return ConstantTimeEquals(header.substr(kScheme.size()), token_);
}

AdminResponse AdminRouter::Handle(const AdminRequest& request) {
  if (request.method != "GET") {
    AdminResponse response = JsonError(405, "method not allowed: only GET");
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  if (request.path == "/healthz") return Text(200, "ok\n");
  bool known =
      request.path == "/v1/status" || request.path == "/metrics" || request.path == "/v1/log";
  // Authenticate before saying whether a path exists: no probing without the token.
  if (!Authorized(request)) {
    AdminResponse response = JsonError(
        401, "missing or wrong admin token: send Authorization: Bearer <data_dir/admin.token>");
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"lifeboat-admin\"");
    return response;
  }
  if (!known) return JsonError(404, "no such endpoint: " + request.path);
  if (request.path == "/v1/status") return Json(200, backend_.StatusJson());
  if (request.path == "/metrics") {
    AdminResponse response = Text(200, backend_.MetricsText());
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return response;
  }
  return HandleLog(request);
}

AdminResponse AdminRouter::HandleLog(const AdminRequest& request) {
  uint64_t from = 1;
  uint64_t count = kAdminLogCountDefault;
  Result<bool> has_from = QueryUint(request.query, "from", from);
  if (!has_from.ok()) return JsonError(400, has_from.status().message());
  Result<bool> has_count = QueryUint(request.query, "count", count);
  if (!has_count.ok()) return JsonError(400, has_count.status().message());
  if (count == 0 || count > kAdminLogCountMax) {
    return JsonError(400, "count=" + std::to_string(count) + ": expected 1.." +
                              std::to_string(kAdminLogCountMax));
  }
  Result<std::string> events = backend_.LogJson(from, count);
  if (!events.ok()) {
    int status = events.status().code() == StatusCode::kNotFound ? 404 : 500;
    return JsonError(status, events.status().message());
  }
  AdminResponse response = Text(200, std::move(events).value());
  response.content_type = "application/x-ndjson";
  return response;
}

}  // namespace lifeboat::admin
