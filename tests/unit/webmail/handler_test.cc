// The webmail request core, driven as the evhttp driver will drive it: Handle, then for a login
// the auth core with a stand-in directory (the real LDAP bind is the driver's and the
// integration tests'), then the events committed through the auth projection before the answer.
#include "modules/webmail/handler.h"

#include <gtest/gtest.h>

#include <map>

#include "modules/auth/activation_code.h"
#include "modules/auth/auth_limits.h"
#include "modules/auth/auth_projection.h"
#include "modules/webmail/security_headers.h"
#include "modules/webmail/webmail_limits.h"
#include "simulator/manual_env.h"
#include "tests/unit/eventlog/map_projection_state.h"

namespace lifeboat::webmail {
namespace {

constexpr std::string_view kOrigin = "https://mail.example.com";
constexpr std::string_view kPassword = "correct horse battery";

class WebmailHandlerTest : public ::testing::Test {
 protected:
  static HttpRequest Post(std::string target, std::string body) {
    HttpRequest request;
    request.method = "POST";
    request.target = std::move(target);
    request.body = std::move(body);
    request.peer_address = "198.51.100.7";
    request.headers = {{"Origin", std::string(kOrigin)},
                       {"Content-Type", "application/json"},
                       {"Sec-Fetch-Site", "same-origin"}};
    return request;
  }
  static HttpRequest Get(std::string target) {
    HttpRequest request;
    request.method = "GET";
    request.target = std::move(target);
    request.peer_address = "198.51.100.7";
    return request;
  }
  static void WithSession(HttpRequest& request, const std::string& id) {
    request.headers.emplace_back("Cookie", std::string(auth::kSessionCookieName) + "=" + id);
  }
  static std::string LoginBody(std::string_view user, std::string_view password) {
    return "{\"user\":\"" + std::string(user) + "\",\"password\":\"" + std::string(password) +
           "\"}";
  }
  // The session id in a Set-Cookie value.
  static std::string CookieId(const HttpResponse& response) {
    std::string_view cookie = *response.Header("Set-Cookie");
    cookie.remove_prefix(auth::kSessionCookieName.size() + 1);
    return std::string(cookie.substr(0, cookie.find(';')));
  }

  // The driver: handle, run a login through the auth core, commit the events, answer.
  HttpResponse Drive(const HttpRequest& request) {
    Handled handled = handler_.Handle(request);
    Reply reply;
    if (auto* start = std::get_if<StartLogin>(&handled)) {
      reply = handler_.LoginReply(RunLogin(start->request));
    } else if (auto* activate = std::get_if<StartActivation>(&handled)) {
      reply = handler_.LoginReply(RunActivation(activate->request));
    } else {
      reply = std::get<Reply>(std::move(handled));
    }
    last_events_ = reply.events;
    for (events::Event event : reply.events) {
      event.set_timestamp_unix_micros(env_.WallNow().count());
      EXPECT_TRUE(projection_.Apply(event, state_).ok());
    }
    projection_.OnBatchCommitted();
    return reply.response;
  }

  auth::LoginOutcome RunLogin(auth::LoginRequest request) {
    auto found = directory_.find(request.user_name);
    if (found != directory_.end()) request.user_id = found->second;
    if (std::optional<auth::LoginOutcome> refused = core_.Admit(request)) return *refused;
    auth::DirectoryAnswer answer = auth::DirectoryAnswer::kUnavailable;
    if (!directory_down_) {
      answer = request.user_id && request.password == kPassword
                   ? auth::DirectoryAnswer::kBindAccepted
                   : auth::DirectoryAnswer::kBindRejected;
    }
    auth::LoginStep step = core_.AfterDirectory(request, answer);
    if (auto* outcome = std::get_if<auth::LoginOutcome>(&step)) return *outcome;
    if (auto* hash = std::get_if<auth::HashJob>(&step))
      return core_.AfterHash(request, hash->Run());
    return core_.AfterVerify(request, std::get<auth::VerifyJob>(step).Run());
  }

  auth::LoginOutcome RunActivation(auth::ActivationRequest request) {
    auto found = directory_.find(request.user_name);
    if (found != directory_.end()) request.user_id = found->second;
    auth::ActivationStep step = core_.BeginActivation(request);
    if (auto* outcome = std::get_if<auth::LoginOutcome>(&step)) return *outcome;
    return core_.AfterActivationHash(request, std::get<auth::HashJob>(step).Run());
  }

  std::string LogIn() {
    HttpResponse response = Drive(Post("/api/login", LoginBody("alice", kPassword)));
    EXPECT_EQ(response.status, 200) << response.body;
    return CookieId(response);
  }

  static void ExpectSecurityHeaders(const HttpResponse& response) {
    EXPECT_EQ(response.Header("Content-Security-Policy"), kContentSecurityPolicy);
    EXPECT_NE(kContentSecurityPolicy.find("frame-ancestors 'none'"), std::string_view::npos);
    EXPECT_EQ(response.Header("Strict-Transport-Security"), "max-age=63072000; includeSubDomains");
    EXPECT_EQ(response.Header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(response.Header("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(response.Header("Cache-Control"), "no-store");
    EXPECT_FALSE(response.Header("Server").has_value());
    EXPECT_EQ(response.Header("Content-Type"), "application/json; charset=utf-8");
  }

  simulator::ManualEnv env_{61};
  auth::AuthView view_;
  auth::AuthProjection projection_{view_};
  eventlog::testing::MapProjectionState state_;
  auth::LoginThrottle throttle_;
  auth::LoginCore core_{env_, view_, throttle_};
  auth::SessionActivity activity_;
  WebmailHandler handler_{env_, view_, activity_, WebmailConfig{std::string(kOrigin)}};
  std::map<std::string, std::string> directory_ = {{"alice", "u-alice"}, {"bob", "u-bob"}};
  bool directory_down_ = false;
  std::vector<events::Event> last_events_;
};

TEST_F(WebmailHandlerTest, ALoginSetsAHostCookieAndTheSessionAnswersWithItsCsrfToken) {
  HttpResponse login = Drive(Post("/api/login", LoginBody("alice", kPassword)));
  ASSERT_EQ(login.status, 200) << login.body;
  ExpectSecurityHeaders(login);
  std::string id = CookieId(login);
  EXPECT_EQ(login.Header("Set-Cookie"), auth::SessionCookie(id));
  EXPECT_EQ(login.body, "{\"user_id\":\"u-alice\",\"csrf_token\":\"" + auth::CsrfToken(id) + "\"}");
  HttpRequest session = Get("/api/session");
  WithSession(session, id);
  HttpResponse answer = Drive(session);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, login.body);
  ExpectSecurityHeaders(answer);
}

TEST_F(WebmailHandlerTest, UnknownPathsAndMethodsAreJsonErrorsWithTheSecurityHeaders) {
  HttpResponse missing = Drive(Get("/api/export"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "{\"error\":\"not_found\",\"message\":\"no such path\"}");
  ExpectSecurityHeaders(missing);
  HttpResponse wrong_method = Drive(Get("/api/login"));
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.Header("Allow"), "POST");
  ExpectSecurityHeaders(wrong_method);
  HttpResponse no_session = Drive(Get("/api/session"));
  EXPECT_EQ(no_session.status, 401);
  ExpectSecurityHeaders(no_session);
}

TEST_F(WebmailHandlerTest, StateChangesFromAnotherOriginOrWithoutJsonAreRefused) {
  HttpRequest no_origin = Post("/api/login", LoginBody("alice", kPassword));
  no_origin.headers.erase(no_origin.headers.begin());
  EXPECT_EQ(Drive(no_origin).status, 403);
  HttpRequest foreign = Post("/api/login", LoginBody("alice", kPassword));
  foreign.headers[0].second = "https://evil.example";
  HttpResponse refused = Drive(foreign);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("\"origin\""), std::string::npos);
  EXPECT_FALSE(refused.Header("Set-Cookie").has_value());
  HttpRequest cross_site = Post("/api/login", LoginBody("alice", kPassword));
  cross_site.headers[2].second = "cross-site";
  EXPECT_EQ(Drive(cross_site).status, 403);
  HttpRequest form = Post("/api/login", "user=alice&password=x");
  form.headers[1].second = "application/x-www-form-urlencoded";
  EXPECT_EQ(Drive(form).status, 415);
  EXPECT_TRUE(last_events_.empty());
}

TEST_F(WebmailHandlerTest, MalformedOrOversizedBodiesAreClear4xxAndChangeNothing) {
  EXPECT_EQ(Drive(Post("/api/login", "{\"user\":")).status, 400);
  EXPECT_EQ(Drive(Post("/api/login", "{\"user\":\"alice\",\"admin\":true}")).status, 400);
  EXPECT_EQ(Drive(Post("/api/login", "{\"user\":[1]}")).status, 400);
  EXPECT_EQ(Drive(Post("/api/login", std::string(kLoginBodyBytesMax + 1, ' '))).status, 413);
  EXPECT_EQ(Drive(Post("/api/login", std::string(kApiBodyBytesMax + 1, ' '))).status, 413);
  EXPECT_EQ(Drive(Get("/api/" + std::string(kRequestTargetBytesMax, 'a'))).status, 414);
  EXPECT_TRUE(last_events_.empty());
  EXPECT_TRUE(state_.values.empty());
}

TEST_F(WebmailHandlerTest, PathTraversalNeverReachesARoute) {
  for (const char* target : {"/api/../api/session", "/api/%2e%2e/session", "/api%2fsession",
                             "/api\\session", "api/session", "/api/session\x01"}) {
    HttpResponse response = Drive(Get(target));
    EXPECT_EQ(response.status, 400) << target;
    ExpectSecurityHeaders(response);
  }
}

TEST_F(WebmailHandlerTest, LogoutNeedsTheCsrfTokenAndEndsTheSessionServerSide) {
  std::string id = LogIn();
  HttpRequest without_token = Post("/api/logout", "{}");
  WithSession(without_token, id);
  HttpResponse refused = Drive(without_token);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("\"csrf\""), std::string::npos);
  HttpRequest wrong_token = without_token;
  wrong_token.headers.emplace_back("X-CSRF-Token", auth::CsrfToken(std::string(32, '0')));
  EXPECT_EQ(Drive(wrong_token).status, 403);

  HttpRequest logout = without_token;
  logout.headers.emplace_back("X-CSRF-Token", auth::CsrfToken(id));
  HttpResponse done = Drive(logout);
  EXPECT_EQ(done.status, 200);
  EXPECT_EQ(done.Header("Set-Cookie"), auth::ClearedSessionCookie());
  ASSERT_EQ(last_events_.size(), 1u);
  EXPECT_EQ(last_events_[0].auth().session_ended().reason(), "logout");

  // Logout replay: the browser (or a thief) still holding the old cookie gets 401.
  HttpRequest replay = Get("/api/session");
  WithSession(replay, id);
  EXPECT_EQ(Drive(replay).status, 401);
  EXPECT_EQ(Drive(logout).status, 401);
}

TEST_F(WebmailHandlerTest, APlantedSessionIdIsWorthNothingAndLoginIssuesANewOne) {
  const std::string planted = "00112233445566778899aabbccddeeff";
  HttpRequest before = Get("/api/session");
  WithSession(before, planted);
  EXPECT_EQ(Drive(before).status, 401);
  HttpRequest login = Post("/api/login", LoginBody("alice", kPassword));
  WithSession(login, planted);
  HttpResponse response = Drive(login);
  ASSERT_EQ(response.status, 200);
  EXPECT_NE(CookieId(response), planted);
  EXPECT_EQ(Drive(before).status, 401);
}

TEST_F(WebmailHandlerTest, WrongPasswordsAre401ThenThrottledWithRetryAfter) {
  for (uint32_t i = 0; i <= auth::kPairFailuresFree; ++i) {
    HttpResponse response = Drive(Post("/api/login", LoginBody("alice", "wrong password")));
    ASSERT_EQ(response.status, 401);
    EXPECT_NE(response.body.find("invalid_credentials"), std::string::npos);
    ASSERT_EQ(last_events_.size(), 1u);
    EXPECT_TRUE(last_events_[0].has_login_failed());
  }
  HttpResponse throttled = Drive(Post("/api/login", LoginBody("alice", kPassword)));
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.Header("Retry-After"), "1");
  EXPECT_NE(throttled.body.find("\"retry_after_seconds\":1"), std::string::npos) << throttled.body;
  ExpectSecurityHeaders(throttled);
}

TEST_F(WebmailHandlerTest, WithTheDirectoryDownTheCachedPasswordWorksAndOthersNeedActivation) {
  LogIn();  // alice's verifier is cached
  directory_down_ = true;
  EXPECT_EQ(Drive(Post("/api/login", LoginBody("alice", kPassword))).status, 200);
  EXPECT_EQ(Drive(Post("/api/login", LoginBody("alice", "wrong password"))).status, 401);
  HttpResponse bob = Drive(Post("/api/login", LoginBody("bob", "whatever it is")));
  EXPECT_EQ(bob.status, 403);
  EXPECT_NE(bob.body.find("needs_activation"), std::string::npos);
}

TEST_F(WebmailHandlerTest, AnActivationCodeOpensASessionAndSetsThePassword) {
  directory_down_ = true;
  auth::IssuedCode issued = auth::IssueActivationCode(
      env_, "u-bob", auth::ACTIVATION_CODE_KIND_BREAK_GLASS, env_.WallNow(), "operator root");
  auth::AuthEvent change;
  *change.mutable_activation_code_issued() = issued.event;
  events::Event event = auth::AuthEventOf(change);
  ASSERT_TRUE(projection_.Apply(event, state_).ok());
  projection_.OnBatchCommitted();

  HttpResponse activated =
      Drive(Post("/api/activate", "{\"user\":\"bob\",\"code\":\"" + issued.code +
                                      "\",\"new_password\":\"bob's new password\"}"));
  ASSERT_EQ(activated.status, 200) << activated.body;
  EXPECT_TRUE(activated.Header("Set-Cookie").has_value());
  EXPECT_EQ(Drive(Post("/api/login", LoginBody("bob", "bob's new password"))).status, 200);
  EXPECT_EQ(Drive(Post("/api/activate", "{\"user\":\"bob\",\"code\":\"" + issued.code +
                                            "\",\"new_password\":\"another new password\"}"))
                .status,
            401);
}

TEST_F(WebmailHandlerTest, AnIdleSessionEndsAndItsEndIsLogged) {
  std::string id = LogIn();
  HttpRequest session = Get("/api/session");
  WithSession(session, id);
  ASSERT_EQ(Drive(session).status, 200);
  env_.Advance(auth::kSessionIdleTimeout);
  HttpResponse expired = Drive(session);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.Header("Set-Cookie"), auth::ClearedSessionCookie());
  ASSERT_EQ(last_events_.size(), 1u);
  EXPECT_EQ(last_events_[0].auth().session_ended().reason(), "idle timeout");
  EXPECT_FALSE(view_.Session(auth::SessionIdDigest(id)).has_value());
}

TEST_F(WebmailHandlerTest, TheMessageHtmlRouteNeedsASessionAndNamesTheSessionsOwnMailbox) {
  HttpResponse anonymous = Drive(Get("/api/messages/m-1/html"));
  EXPECT_EQ(anonymous.status, 401);
  std::string id = LogIn();
  HttpRequest request = Get("/api/messages/m%2D1/html");
  WithSession(request, id);
  Handled handled = handler_.Handle(request);
  auto* read = std::get_if<ReadMessageHtml>(&handled);
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->user_id, "u-alice");  // the session's user: never taken from the request
  EXPECT_EQ(read->message_id, "m-1");
  HttpRequest post = Post("/api/messages/m-1/html", "{}");
  WithSession(post, id);
  HttpResponse refused = Drive(post);
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(refused.Header("Allow"), "GET");
}

TEST(WebmailStaticTest, TheUiIsServedBeforeTheRoutesAndWithoutASession) {
  simulator::ManualEnv env{62};
  auth::AuthView view;
  auth::SessionActivity activity;
  StaticAssets assets;
  ASSERT_TRUE(assets.Add("index.html", "<!doctype html>").ok());
  WebmailConfig config{std::string(kOrigin)};
  config.assets = &assets;
  WebmailHandler handler(env, view, activity, config);
  HttpRequest request;
  request.method = "GET";
  request.target = "/";
  Handled handled = handler.Handle(request);
  ASSERT_TRUE(std::holds_alternative<Reply>(handled));
  EXPECT_EQ(std::get<Reply>(handled).response.status, 200);
  EXPECT_EQ(std::get<Reply>(handled).response.body, "<!doctype html>");
  request.target = "/assets/../api/session";
  handled = handler.Handle(request);
  EXPECT_EQ(std::get<Reply>(handled).response.status, 400);  // the limits come first
}

}  // namespace
}  // namespace lifeboat::webmail
