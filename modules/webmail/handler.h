#pragma once
// The webmail request core (issue 12 items 1-2): a request in, a response out, sans-I/O, so the
// evhttp driver in appliance/ and the simulator drive the same code.
//
// Every request passes, in order (each refusal is a JSON error, ErrorReply, with the security
// headers like every other answer):
//   1. limits: target length (414), header count (431), body size (413), a path without "..",
//      backslashes or control characters (400);
//   2. the route table: unknown path 404, known path with another method 405 (+ Allow);
//   3. state changes (POST): Content-Type application/json (415: no HTML form can send it
//      cross-site without a CORS preflight, which we never answer), Origin equal to the
//      configured origin and Sec-Fetch-Site, when sent, "same-origin" (403, "origin");
//   4. routes behind a session: the __Host- cookie names a committed, unexpired session (401;
//      an expired one is ended: SessionEnded is returned to propose);
//   5. state changes behind a session: X-CSRF-Token equal to the session's token (403, "csrf").
// Before the route table, GET / and /assets/<name> are the UI's static files (static_assets.h,
// no session needed: the login page is one of them).
//
// Login and activation need the directory and Argon2: Handle returns StartLogin /
// StartActivation and the driver runs auth::LoginCore (resolving the name to a directory id, the
// LDAP bind, the job off the loop), then renders the outcome with LoginReply. Replies carry the
// events to propose: the driver sends the response only once they committed (a session cookie
// must not reach the browser before its SessionStarted is in the log).
//
// Loop thread only. `view` and `activity` must outlive the handler.

#include <string>
#include <variant>
#include <vector>

#include "appliance/env/env.h"
#include "eventlog/events.pb.h"
#include "modules/auth/auth_view.h"
#include "modules/auth/login.h"
#include "modules/auth/session.h"
#include "modules/webmail/http_message.h"
#include "modules/webmail/mail_routes.h"
#include "modules/webmail/reply.h"
#include "modules/webmail/static_assets.h"

namespace lifeboat::webmail {

struct WebmailConfig {
  // The origin browsers send in Origin (RFC 6454 section 7), exactly: "https://mail.example.com"
  // (a port only when not 443).
  std::string origin;
  // The UI's files; null: none are served (an API-only node, or a build without the UI).
  const StaticAssets* assets = nullptr;
};

struct StartLogin {
  auth::LoginRequest request;  // user_id unset: the driver resolves user_name in the directory
};
struct StartActivation {
  auth::ActivationRequest request;  // user_id unset, as for StartLogin
};
// GET /api/messages/<id>/html (message_html.h): the driver reads the message off the loop, in
// the session user's own mailbox only, and answers with MessageHtmlResponse or 404.
struct ReadMessageHtml {
  std::string user_id;
  std::string message_id;
};
// A mail route (mail_routes.h): the driver runs the job off the loop, then sends its Reply.
using Handled = std::variant<Reply, StartLogin, StartActivation, ReadMessageHtml, StartMailJob>;

class WebmailHandler {
 public:
  WebmailHandler(Env& env, const auth::AuthView& view, auth::SessionActivity& activity,
                 WebmailConfig config);

  Handled Handle(const HttpRequest& request);
  // The answer to a finished login or activation: 200 with the session cookie and the CSRF
  // token, or the error that `outcome` names (401, 403 needs_activation, 429 + Retry-After...).
  Reply LoginReply(const auth::LoginOutcome& outcome) const;

 private:
  struct Session {
    std::string id;
    std::string digest;
    auth::SessionRecord record;
  };
  struct Route;
  static const std::vector<Route>& Routes();

  std::optional<Reply> CheckLimits(const HttpRequest& request) const;
  std::optional<Reply> CheckStateChange(const HttpRequest& request) const;
  std::variant<Session, Reply> Authenticate(const HttpRequest& request);

  Handled MessageHtml(const HttpRequest& request, std::string message_id);
  Handled Login(const HttpRequest& request);
  Handled Activate(const HttpRequest& request);
  Reply SessionInfo(const Session& session);
  Reply Logout(const Session& session);

  Env& env_;
  const auth::AuthView& view_;
  auth::SessionActivity& activity_;
  WebmailConfig config_;
  MailRoutes mail_;
};

}  // namespace lifeboat::webmail
