#include "modules/webmail/handler.h"

#include <google/protobuf/util/json_util.h>

#include "modules/ascii/ascii_case.h"
#include "modules/webmail/mail_limits.h"
#include "modules/webmail/message_html.h"
#include "modules/webmail/security_headers.h"
#include "modules/webmail/webmail_api.pb.h"
#include "modules/webmail/webmail_limits.h"

namespace lifeboat::webmail {

struct WebmailHandler::Route {
  std::string_view method;
  std::string_view path;
  bool needs_session;
  // Exactly one of these is set, by needs_session.
  Handled (WebmailHandler::*open)(const HttpRequest&);
  Reply (WebmailHandler::*with_session)(const Session&);
};

namespace {

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  // Our own messages always render: a failure is a programmer error.
  LB_CHECK(google::protobuf::util::MessageToJsonString(message, &json, options).ok());
  return json;
}

// Parses a JSON body into `message`; unknown fields and wrong types are errors.
bool FromJson(std::string_view body, google::protobuf::Message& message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  return google::protobuf::util::JsonStringToMessage(std::string(body), &message, options).ok();
}

Reply JsonReply(int status, const google::protobuf::Message& message) {
  Reply reply;
  reply.response.status = status;
  reply.response.SetHeader("Content-Type", "application/json; charset=utf-8");
  reply.response.body = ToJson(message);
  AddSecurityHeaders(reply.response);
  return reply;
}

bool SafePath(std::string_view path) {
  if (!path.starts_with('/')) return false;
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  }
  // A ".." segment, or its percent-encoded forms, never reaches a handler.
  std::string lower = ascii::Lower(path);
  return lower.find("/..") == std::string::npos && lower.find("%2e") == std::string::npos &&
         lower.find("%2f") == std::string::npos && lower.find("%5c") == std::string::npos;
}

bool IsJson(std::optional<std::string_view> content_type) {
  if (!content_type) return false;
  std::string_view media = content_type->substr(0, content_type->find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return ascii::EqualsIgnoreCase(media, "application/json");
}

}  // namespace

Reply ErrorResponse(int status, std::string_view code, std::string_view message) {
  ErrorReply error;
  error.set_error(std::string(code));
  error.set_message(std::string(message));
  return JsonReply(status, error);
}

WebmailHandler::WebmailHandler(Env& env, const auth::AuthView& view,
                               auth::SessionActivity& activity, WebmailConfig config)
    : env_(env), view_(view), activity_(activity), config_(std::move(config)), mail_(env) {}

const std::vector<WebmailHandler::Route>& WebmailHandler::Routes() {
  static const std::vector<Route> routes = {
      {"GET", "/api/session", true, nullptr, &WebmailHandler::SessionInfo},
      {"POST", "/api/login", false, &WebmailHandler::Login, nullptr},
      {"POST", "/api/activate", false, &WebmailHandler::Activate, nullptr},
      {"POST", "/api/logout", true, nullptr, &WebmailHandler::Logout},
  };
  return routes;
}

Handled WebmailHandler::Handle(const HttpRequest& request) {
  if (std::optional<Reply> refused = CheckLimits(request)) return std::move(*refused);
  if (config_.assets != nullptr && StaticAssets::Owns(request.path())) {
    Reply reply;
    reply.response = config_.assets->Serve(request);
    return reply;
  }
  if (std::string id = MessageHtmlPathId(request.path()); !id.empty()) {
    return MessageHtml(request, std::move(id));
  }
  const Route* route = nullptr;
  std::string allowed;
  for (const Route& candidate : Routes()) {
    if (candidate.path != request.path()) continue;
    allowed += allowed.empty() ? "" : ", ";
    allowed += candidate.method;
    if (candidate.method == request.method) route = &candidate;
  }
  const bool mail_route = route == nullptr && allowed.empty();
  if (mail_route) allowed = MailRouteMethods(request.path());
  if (allowed.empty()) return ErrorResponse(404, "not_found", "no such path");
  if (route == nullptr && (!mail_route || allowed != request.method)) {
    Reply reply = ErrorResponse(405, "method_not_allowed", "method not allowed on this path");
    reply.response.SetHeader("Allow", allowed);
    return reply;
  }
  bool state_change = request.method != "GET";
  if (state_change) {
    if (std::optional<Reply> refused = CheckStateChange(request)) return std::move(*refused);
  }
  if (!mail_route && !route->needs_session) return (this->*route->open)(request);
  std::variant<Session, Reply> session = Authenticate(request);
  if (Reply* refused = std::get_if<Reply>(&session)) return std::move(*refused);
  const Session& current = std::get<Session>(session);
  if (state_change) {
    std::optional<std::string_view> token = request.Header("X-CSRF-Token");
    if (!token || !auth::CsrfTokenMatches(current.id, *token)) {
      return ErrorResponse(403, "csrf", "missing or wrong CSRF token");
    }
  }
  if (mail_route) {
    std::variant<Reply, StartMailJob> mail = mail_.Handle(request, current.record.user_id());
    if (Reply* reply = std::get_if<Reply>(&mail)) return std::move(*reply);
    return std::get<StartMailJob>(std::move(mail));
  }
  return (this->*route->with_session)(current);
}

std::optional<Reply> WebmailHandler::CheckLimits(const HttpRequest& request) const {
  if (request.target.size() > kRequestTargetBytesMax) {
    return ErrorResponse(414, "target_too_long", "request target too long");
  }
  if (request.headers.size() > kRequestHeadersMax) {
    return ErrorResponse(431, "too_many_headers", "too many header fields");
  }
  // A sent mail carries its attachments; every other body is small JSON.
  const size_t body_bytes_max =
      request.path() == "/api/send" ? kSendBodyBytesMax : kApiBodyBytesMax;
  if (request.body.size() > body_bytes_max) {
    return ErrorResponse(413, "body_too_large", "request body too large");
  }
  if (!SafePath(request.path())) return ErrorResponse(400, "bad_path", "malformed path");
  return std::nullopt;
}

std::optional<Reply> WebmailHandler::CheckStateChange(const HttpRequest& request) const {
  if (!IsJson(request.Header("Content-Type"))) {
    return ErrorResponse(415, "content_type", "state changes take application/json");
  }
  // Browsers send Origin on every POST, same-origin included (Fetch standard, "origin header").
  std::optional<std::string_view> origin = request.Header("Origin");
  if (!origin || *origin != config_.origin) {
    return ErrorResponse(403, "origin", "request from another origin");
  }
  std::optional<std::string_view> site = request.Header("Sec-Fetch-Site");
  if (site && *site != "same-origin") {
    return ErrorResponse(403, "origin", "request from another site");
  }
  return std::nullopt;
}

std::variant<WebmailHandler::Session, Reply> WebmailHandler::Authenticate(
    const HttpRequest& request) {
  std::optional<std::string_view> cookie = request.Cookie(auth::kSessionCookieName);
  std::optional<std::string> id = cookie ? auth::ParseSessionId(*cookie) : std::nullopt;
  if (!id) return ErrorResponse(401, "no_session", "log in first");
  Session session;
  session.digest = auth::SessionIdDigest(*id);
  std::optional<auth::SessionRecord> record = view_.Session(session.digest);
  auth::SessionCheck check =
      activity_.Check(session.digest, record, env_.MonotonicNow(), env_.WallNow());
  if (check == auth::SessionCheck::kValid) {
    session.id = std::move(*id);
    session.record = std::move(*record);
    return session;
  }
  Reply reply = ErrorResponse(401, "no_session", "session ended; log in again");
  reply.response.SetHeader("Set-Cookie", auth::ClearedSessionCookie());
  if (check != auth::SessionCheck::kUnknown) {
    auth::AuthEvent change;
    change.mutable_session_ended()->set_session_id_sha256(session.digest);
    change.mutable_session_ended()->set_reason(
        check == auth::SessionCheck::kIdleExpired ? "idle timeout" : "absolute timeout");
    reply.events.push_back(auth::AuthEventOf(std::move(change)));
  }
  return reply;
}

Handled WebmailHandler::MessageHtml(const HttpRequest& request, std::string message_id) {
  if (request.method != "GET") {
    Reply reply = ErrorResponse(405, "method_not_allowed", "method not allowed on this path");
    reply.response.SetHeader("Allow", "GET");
    return reply;
  }
  std::variant<Session, Reply> session = Authenticate(request);
  if (Reply* refused = std::get_if<Reply>(&session)) return std::move(*refused);
  return ReadMessageHtml{std::get<Session>(session).record.user_id(), std::move(message_id)};
}

Handled WebmailHandler::Login(const HttpRequest& request) {
  if (request.body.size() > kLoginBodyBytesMax) {
    return ErrorResponse(413, "body_too_large", "request body too large");
  }
  LoginBody body;
  if (!FromJson(request.body, body)) return ErrorResponse(400, "malformed_json", "malformed JSON");
  StartLogin start;
  start.request.user_name = body.user();
  start.request.password = body.password();
  if (!body.totp().empty()) start.request.totp_code = body.totp();
  start.request.peer_address = request.peer_address;
  return start;
}

Handled WebmailHandler::Activate(const HttpRequest& request) {
  if (request.body.size() > kLoginBodyBytesMax) {
    return ErrorResponse(413, "body_too_large", "request body too large");
  }
  ActivateBody body;
  if (!FromJson(request.body, body)) return ErrorResponse(400, "malformed_json", "malformed JSON");
  StartActivation start;
  start.request.user_name = body.user();
  start.request.code = body.code();
  start.request.new_password = body.new_password();
  start.request.peer_address = request.peer_address;
  return start;
}

Reply WebmailHandler::SessionInfo(const Session& session) {
  SessionReply reply;
  reply.set_user_id(session.record.user_id());
  reply.set_csrf_token(auth::CsrfToken(session.id));
  return JsonReply(200, reply);
}

Reply WebmailHandler::Logout(const Session& session) {
  activity_.Forget(session.digest);
  Reply reply = JsonReply(200, ErrorReply());  // "{}"
  reply.response.SetHeader("Set-Cookie", auth::ClearedSessionCookie());
  auth::AuthEvent change;
  change.mutable_session_ended()->set_session_id_sha256(session.digest);
  change.mutable_session_ended()->set_reason("logout");
  reply.events.push_back(auth::AuthEventOf(std::move(change)));
  return reply;
}

Reply WebmailHandler::LoginReply(const auth::LoginOutcome& outcome) const {
  Reply reply;
  switch (outcome.result) {
    case auth::LoginResult::kSucceeded: {
      LB_CHECK(outcome.session.has_value());
      SessionReply session;
      session.set_user_id(outcome.session->event.user_id());
      session.set_csrf_token(auth::CsrfToken(outcome.session->id));
      reply = JsonReply(200, session);
      reply.response.SetHeader("Set-Cookie", auth::SessionCookie(outcome.session->id));
      break;
    }
    case auth::LoginResult::kFailed:
      reply = ErrorResponse(401, "invalid_credentials", "wrong user name, password or code");
      break;
    case auth::LoginResult::kNeedsTotp:
      reply = ErrorResponse(401, "totp_required", "enter the code from your authenticator app");
      break;
    case auth::LoginResult::kNeedsActivation:
      reply = ErrorResponse(403, "needs_activation", "activate your account with a code");
      break;
    case auth::LoginResult::kThrottled: {
      int64_t seconds = std::chrono::ceil<std::chrono::seconds>(outcome.retry_after).count();
      ErrorReply error;
      error.set_error("throttled");
      error.set_message("too many attempts; try again later");
      error.set_retry_after_seconds(static_cast<int32_t>(seconds));
      reply = JsonReply(429, error);
      reply.response.SetHeader("Retry-After", std::to_string(seconds));  // RFC 9110 10.2.3
      break;
    }
    case auth::LoginResult::kInvalid:
      reply = ErrorResponse(400, "invalid_request", "user name or password outside the limits");
      break;
    case auth::LoginResult::kUnavailable:
      reply = ErrorResponse(503, "unavailable", "try again in a moment");
      break;
  }
  reply.events = outcome.events;
  return reply;
}

}  // namespace lifeboat::webmail
