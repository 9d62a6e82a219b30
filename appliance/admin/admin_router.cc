#include "appliance/admin/admin_router.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "appliance/admin/admin_token.h"
#include "appliance/admin/directory_queries.h"
#include "appliance/admin/mailbox_queries.h"
#include "appliance/admin/query_string.h"
#include "appliance/json/json_writer.h"
#include "modules/auth/auth_limits.h"

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

// An operating error from the backend as an HTTP status (RFC 9110 section 15).
AdminResponse ErrorResponse(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return JsonError(400, status.message());
    case StatusCode::kNotFound:
      return JsonError(404, status.message());
    case StatusCode::kFailedPrecondition:
      return JsonError(409, status.message());
    case StatusCode::kUnavailable:
      return JsonError(503, status.message());
    default:
      return JsonError(500, status.ToString());
  }
}

AdminResponse NdJson(std::string body) {
  AdminResponse response = Text(200, std::move(body));
  response.content_type = "application/x-ndjson";
  return response;
}

AdminResponse FromResult(Result<std::string> result, AdminResponse (*make)(std::string)) {
  if (!result.ok()) return ErrorResponse(result.status());
  return make(std::move(result).value());
}

AdminResponse JsonOk(std::string body) {
  return Json(200, std::move(body));
}

AdminResponse RawMessageOk(std::string body) {
  AdminResponse response = Text(200, std::move(body));
  response.content_type = "message/rfc822";  // RFC 2046 section 5.2.1
  return response;
}

// A response that comes once `read` (a backend read, off the loop) calls back: made by `make`, or
// the error's status.
AdminResponse Later(std::function<void(AdminBackend::ReadDone)> read,
                    AdminResponse (*make)(std::string)) {
  AdminResponse response;
  response.later = [read = std::move(read), make](AdminReply reply) {
    read([reply = std::move(reply), make](Result<std::string> result) {
      reply(FromResult(std::move(result), make));
    });
  };
  return response;
}

// `name` as an unsigned integer in 1..max, `fallback` when absent.
Result<uint64_t> QueryLimit(std::string_view query, std::string_view name, uint64_t fallback,
                            uint64_t max) {
  uint64_t value = fallback;
  Result<bool> present = QueryUint(query, name, value);
  if (!present.ok()) return present.status();
  if (value == 0 || value > max) {
    return Status::InvalidArgument(std::string(name) + "=" + std::to_string(value) +
                                   ": expected 1.." + std::to_string(max));
  }
  return value;
}

// A text parameter that must be present and non-empty.
Result<std::string> RequiredText(std::string_view query, std::string_view name) {
  auto value = QueryText(query, name);
  if (!value.ok()) return value.status();
  if (!value->has_value() || (*value)->empty()) {
    return Status::InvalidArgument("missing parameter " + std::string(name));
  }
  return std::move(**value);
}

// `lifeboat auth codes` without --count: a few, for a sheet handed to one person.
constexpr uint64_t kAuthCodesDefault = 5;

}  // namespace

bool AdminRouter::Authorized(const AdminRequest& request) const {
  constexpr std::string_view kScheme = "Bearer ";
  std::string_view header = request.authorization;
  if (header.size() <= kScheme.size() || header.substr(0, kScheme.size()) != kScheme) return false;
  return ConstantTimeEquals(header.substr(kScheme.size()), token_);
}

const AdminRouter::Endpoint* AdminRouter::FindEndpoint(std::string_view path) {
  static constexpr Endpoint kEndpoints[] = {
      {"/v1/status", "GET", &AdminRouter::HandleStatus},
      {"/metrics", "GET", &AdminRouter::HandleMetrics},
      {"/v1/log", "GET", &AdminRouter::HandleLog},
      {"/v1/mailboxes", "GET", &AdminRouter::HandleMailboxes},
      {"/v1/mailbox", "GET", &AdminRouter::HandleMailbox},
      {"/v1/message", "GET", &AdminRouter::HandleMessage},
      {"/v1/directory/status", "GET", &AdminRouter::HandleDirectoryStatus},
      {"/v1/directory/entry", "GET", &AdminRouter::HandleDirectoryEntry},
      {"/v1/directory/search", "GET", &AdminRouter::HandleDirectorySearch},
      {"/v1/directory/sync", "POST", &AdminRouter::HandleDirectorySync},
      {"/v1/directory/import", "POST", &AdminRouter::HandleDirectoryImport},
      {"/v1/directory/action", "GET", &AdminRouter::HandleDirectoryAction},
      {"/v1/routing/status", "GET", &AdminRouter::HandleRoutingStatus},
      {"/v1/routing/override", "POST", &AdminRouter::HandleRoutingOverride},
      {"/v1/auth/codes", "POST", &AdminRouter::HandleAuthCodes},
      {"/v1/cluster/status", "GET", &AdminRouter::HandleClusterStatus},
  };
  for (const Endpoint& endpoint : kEndpoints) {
    if (endpoint.path == path) return &endpoint;
  }
  return nullptr;
}

AdminResponse AdminRouter::Handle(const AdminRequest& request) {
  if (request.path == "/healthz") {
    if (request.method == "GET") return Text(200, "ok\n");
    AdminResponse response = JsonError(405, "method not allowed: only GET");
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  // Authenticate before saying whether a path or a method exists: no probing without the token.
  if (!Authorized(request)) {
    AdminResponse response = JsonError(
        401, "missing or wrong admin token: send Authorization: Bearer <data_dir/admin.token>");
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"lifeboat-admin\"");
    return response;
  }
  const Endpoint* endpoint = FindEndpoint(request.path);
  if (endpoint == nullptr) return JsonError(404, "no such endpoint: " + request.path);
  if (request.method != endpoint->method) {
    // RFC 9110 section 15.5.6: a 405 names the allowed methods.
    AdminResponse response =
        JsonError(405, "method not allowed: only " + std::string(endpoint->method));
    response.headers.emplace_back("Allow", std::string(endpoint->method));
    return response;
  }
  return (this->*(endpoint->handle))(request);
}

AdminResponse AdminRouter::HandleStatus(const AdminRequest& request) {
  Result<std::optional<std::string>> wait_applied = QueryText(request.query, "wait_applied");
  if (!wait_applied.ok()) return JsonError(400, wait_applied.status().message());
  if (!wait_applied->has_value()) return Json(200, backend_.StatusJson());
  uint64_t target = 0;
  if (**wait_applied == "last") {
    target = backend_.CommitIndex();
  } else {
    const std::string& text = **wait_applied;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), target);
    if (error != std::errc() || end != text.data() + text.size()) {
      return JsonError(400, "wait_applied: expected an index or \"last\", got \"" + text + "\"");
    }
  }
  Result<uint64_t> bound_ms =
      QueryLimit(request.query, "wait_ms", kAdminWaitMillisecondsMax, kAdminWaitMillisecondsMax);
  if (!bound_ms.ok()) return JsonError(400, bound_ms.status().message());
  if (backend_.ProjectionAppliedIndex() >= target) return Json(200, backend_.StatusJson());
  AdminResponse later;
  later.wait = AppliedWait{target, *bound_ms};
  return later;
}

AdminResponse AdminRouter::AnswerWait(const AppliedWait& wait) {
  const uint64_t applied = backend_.ProjectionAppliedIndex();
  if (applied >= wait.applied_index) return Json(200, backend_.StatusJson());
  return JsonError(503, "the projections applied index " + std::to_string(applied) + " of " +
                            std::to_string(wait.applied_index) + " within " +
                            std::to_string(wait.bound_ms) + " ms");
}

AdminResponse AdminRouter::HandleMetrics(const AdminRequest&) {
  AdminResponse response = Text(200, backend_.MetricsText());
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return response;
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
  uint64_t before = 0;
  Result<bool> has_before = QueryUint(request.query, "before", before);
  if (!has_before.ok()) return JsonError(400, has_before.status().message());
  if (*has_before) {
    // The page that ends just before `before`: what `lifeboat log tail --before` reads.
    if (*has_from) return JsonError(400, "from and before: give one of them");
    if (before == 0) return JsonError(400, "before=0: expected a log index, 1 or more");
    before = std::min(before, backend_.LogLastIndex() + 1);  // past the end: the tail
    if (before == 1) return NdJson(std::string());           // nothing precedes index 1
    from = before > count ? before - count : 1;
    count = before - from;
  }
  return Later([this, from, count](
                   AdminBackend::ReadDone done) { backend_.LogJson(from, count, std::move(done)); },
               NdJson);
}

AdminResponse AdminRouter::HandleMailboxes(const AdminRequest& request) {
  auto limit = QueryLimit(request.query, "limit", kMailboxesDefault, kMailboxesMax);
  if (!limit.ok()) return ErrorResponse(limit.status());
  return Later([this, limit = *limit](
                   AdminBackend::ReadDone done) { backend_.MailboxesJson(limit, std::move(done)); },
               NdJson);
}

AdminResponse AdminRouter::HandleMailbox(const AdminRequest& request) {
  auto address = RequiredText(request.query, "address");
  if (!address.ok()) return ErrorResponse(address.status());
  auto folder = QueryText(request.query, "folder");
  if (!folder.ok()) return ErrorResponse(folder.status());
  auto limit = QueryLimit(request.query, "limit", kMailboxMessagesDefault, kMailboxMessagesMax);
  if (!limit.ok()) return ErrorResponse(limit.status());
  auto after = QueryText(request.query, "after");
  if (!after.ok()) return ErrorResponse(after.status());
  if (after->has_value()) {
    Status valid = CheckAfterCursor(**after);
    if (!valid.ok()) return ErrorResponse(valid);
  }
  return Later(
      [this, address = *address, folder = folder->value_or(""), limit = *limit,
       after = after->value_or("")](AdminBackend::ReadDone done) {
        backend_.MailboxMessagesJson(address, folder, limit, after, std::move(done));
      },
      NdJson);
}

AdminResponse AdminRouter::HandleMessage(const AdminRequest& request) {
  auto mailbox = RequiredText(request.query, "mailbox");
  if (!mailbox.ok()) return ErrorResponse(mailbox.status());
  auto id = RequiredText(request.query, "id");
  if (!id.ok()) return ErrorResponse(id.status());
  auto raw = QueryFlag(request.query, "raw");
  if (!raw.ok()) return ErrorResponse(raw.status());
  if (!*raw) {
    return Later(
        [this, mailbox = *mailbox, id = *id](AdminBackend::ReadDone done) {
          backend_.MessageJson(mailbox, id, std::move(done));
        },
        JsonOk);
  }
  return Later(
      [this, mailbox = *mailbox, id = *id](AdminBackend::ReadDone done) {
        backend_.RawMessage(mailbox, id, std::move(done));
      },
      RawMessageOk);
}

AdminResponse AdminRouter::HandleDirectoryStatus(const AdminRequest&) {
  return Json(200, backend_.DirectoryStatusJson());
}

AdminResponse AdminRouter::HandleDirectoryEntry(const AdminRequest& request) {
  auto id = RequiredText(request.query, "id");
  if (!id.ok()) return ErrorResponse(id.status());
  return FromResult(backend_.DirectoryEntryJson(*id), JsonOk);
}

AdminResponse AdminRouter::HandleDirectorySearch(const AdminRequest& request) {
  auto text = RequiredText(request.query, "q");
  if (!text.ok()) return ErrorResponse(text.status());
  auto limit = QueryLimit(request.query, "limit", kDirectorySearchResultsDefault,
                          kDirectorySearchResultsMax);
  if (!limit.ok()) return ErrorResponse(limit.status());
  return FromResult(backend_.DirectorySearchJson(*text, *limit), NdJson);
}

AdminResponse AdminRouter::HandleDirectorySync(const AdminRequest& request) {
  auto full = QueryFlag(request.query, "full");
  if (!full.ok()) return ErrorResponse(full.status());
  auto confirm = QueryFlag(request.query, "confirm_mass_deprovision");
  if (!confirm.ok()) return ErrorResponse(confirm.status());
  auto action = backend_.StartDirectorySync(*full, *confirm);
  if (!action.ok()) return ErrorResponse(action.status());
  return Json(202, std::move(action).value());
}

AdminResponse AdminRouter::HandleDirectoryImport(const AdminRequest& request) {
  auto confirm = QueryFlag(request.query, "confirm_mass_deprovision");
  if (!confirm.ok()) return ErrorResponse(confirm.status());
  auto action = backend_.StartDirectoryImport(*confirm);
  if (!action.ok()) return ErrorResponse(action.status());
  return Json(202, std::move(action).value());
}

AdminResponse AdminRouter::HandleDirectoryAction(const AdminRequest& request) {
  uint64_t id = 0;
  Result<bool> present = QueryUint(request.query, "id", id);
  if (!present.ok()) return ErrorResponse(present.status());
  if (!*present) return JsonError(400, "missing parameter id");
  return FromResult(backend_.DirectoryActionJson(id), JsonOk);
}

AdminResponse AdminRouter::HandleRoutingStatus(const AdminRequest&) {
  return Json(200, backend_.RoutingStatusJson());
}

AdminResponse AdminRouter::HandleClusterStatus(const AdminRequest&) {
  return Json(200, backend_.ClusterStatusJson());
}

AdminResponse AdminRouter::HandleRoutingOverride(const AdminRequest& request) {
  auto scope = QueryText(request.query, "scope");
  if (!scope.ok()) return ErrorResponse(scope.status());
  auto mode = RequiredText(request.query, "mode");
  if (!mode.ok()) return ErrorResponse(mode.status());
  if (*mode != "continuity" && *mode != "normal" && *mode != "auto") {
    return JsonError(400, "mode=" + *mode + ": expected continuity, normal or auto");
  }
  // Who and why go into the event: the audit trail of a switch (issue #11 Build 1).
  auto operator_name = RequiredText(request.query, "operator");
  if (!operator_name.ok()) return ErrorResponse(operator_name.status());
  auto reason = RequiredText(request.query, "reason");
  if (!reason.ok()) return ErrorResponse(reason.status());
  return Later(
      [this, scope = scope->value_or("all"), mode = *mode, operator_name = *operator_name,
       reason = *reason](AdminBackend::ReadDone done) {
        backend_.SetRoutingOverride(scope, mode, operator_name, reason, std::move(done));
      },
      JsonOk);
}

AdminResponse AdminRouter::HandleAuthCodes(const AdminRequest& request) {
  auto user = RequiredText(request.query, "user");
  if (!user.ok()) return ErrorResponse(user.status());
  auto count =
      QueryLimit(request.query, "count", kAuthCodesDefault, auth::kBreakGlassCodesPerUserMax);
  if (!count.ok()) return ErrorResponse(count.status());
  return Later(
      [this, user = *user, count = *count](AdminBackend::ReadDone done) {
        backend_.IssueBreakGlassCodes(user, count, std::move(done));
      },
      NdJson);
}

}  // namespace lifeboat::admin
