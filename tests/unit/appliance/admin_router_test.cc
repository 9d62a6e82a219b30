// The admin API core without sockets: auth on every endpoint but /healthz, routing, query limits.
#include "appliance/admin/admin_router.h"

#include <gtest/gtest.h>

#include "appliance/admin/admin_token.h"
#include "tests/unit/appliance/fake_admin_backend.h"

namespace lifeboat::admin {
namespace {

using testing::HandleNow;

using testing::FakeBackend;

constexpr char kToken[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

AdminRequest Get(std::string path, std::string query = "", bool with_token = true) {
  AdminRequest request;
  request.method = "GET";
  request.path = std::move(path);
  request.query = std::move(query);
  if (with_token) request.authorization = std::string("Bearer ") + kToken;
  return request;
}

TEST(AdminRouterTest, HealthzNeedsNoToken) {
  FakeBackend backend;
  AdminRouter router(backend, kToken);
  AdminResponse response = HandleNow(router, Get("/healthz", "", false));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok\n");
}

TEST(AdminRouterTest, EveryOtherEndpointAnswers401WithoutTheToken) {
  FakeBackend backend;
  AdminRouter router(backend, kToken);
  for (const char* path : {"/v1/status", "/metrics", "/v1/log", "/v1/nothing-here"}) {
    AdminResponse response = HandleNow(router, Get(path, "", false));
    EXPECT_EQ(response.status, 401) << path;
    ASSERT_EQ(response.headers.size(), 1u);
    EXPECT_EQ(response.headers[0].first, "WWW-Authenticate");
  }
  AdminRequest wrong = Get("/v1/status");
  wrong.authorization = std::string("Bearer ") + std::string(64, 'f');
  EXPECT_EQ(HandleNow(router, wrong).status, 401);
  AdminRequest basic = Get("/v1/status");
  basic.authorization = std::string("Basic ") + kToken;
  EXPECT_EQ(HandleNow(router, basic).status, 401);
  AdminRequest prefix = Get("/v1/status");
  prefix.authorization = "Bearer 0123";
  EXPECT_EQ(HandleNow(router, prefix).status, 401);
}

TEST(AdminRouterTest, AuthorizedRequestsReachTheBackend) {
  FakeBackend backend;
  AdminRouter router(backend, kToken);
  AdminResponse status = HandleNow(router, Get("/v1/status"));
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.content_type, "application/json");
  EXPECT_EQ(status.body, "{\"node_id\":\"n1\"}\n");
  AdminResponse metrics = HandleNow(router, Get("/metrics"));
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(HandleNow(router, Get("/v1/nothing-here")).status, 404);
}

TEST(AdminRouterTest, LogQueryIsParsedAndBounded) {
  FakeBackend backend;
  AdminRouter router(backend, kToken);
  EXPECT_EQ(HandleNow(router, Get("/v1/log", "from=7&count=3")).status, 200);
  EXPECT_EQ(backend.last_from, 7u);
  EXPECT_EQ(backend.last_count, 3u);
  EXPECT_EQ(HandleNow(router, Get("/v1/log")).status, 200);
  EXPECT_EQ(backend.last_from, 1u);
  EXPECT_EQ(backend.last_count, kAdminLogCountDefault);

  AdminResponse too_many = HandleNow(router, Get("/v1/log", "count=1001"));
  EXPECT_EQ(too_many.status, 400);
  EXPECT_EQ(too_many.body, "{\"error\":\"count=1001: expected 1..1000\"}\n");
  AdminResponse not_a_number = HandleNow(router, Get("/v1/log", "from=x1"));
  EXPECT_EQ(not_a_number.status, 400);
  EXPECT_EQ(not_a_number.body, "{\"error\":\"from=x1: expected a decimal integer\"}\n");
  EXPECT_EQ(HandleNow(router, Get("/v1/log", "from=101")).status, 404);
}

TEST(AdminRouterTest, LogBeforeReadsThePageThatEndsJustBeforeTheIndex) {
  FakeBackend backend;
  backend.log_last_index = 50;
  AdminRouter router(backend, kToken);
  EXPECT_EQ(HandleNow(router, Get("/v1/log", "before=31&count=10")).status, 200);
  EXPECT_EQ(backend.last_from, 21u);
  EXPECT_EQ(backend.last_count, 10u);
  // Near the start: the page is shorter, never below index 1.
  EXPECT_EQ(HandleNow(router, Get("/v1/log", "before=4&count=10")).status, 200);
  EXPECT_EQ(backend.last_from, 1u);
  EXPECT_EQ(backend.last_count, 3u);
  // Past the end: the tail.
  EXPECT_EQ(HandleNow(router, Get("/v1/log", "before=999&count=5")).status, 200);
  EXPECT_EQ(backend.last_from, 46u);
  EXPECT_EQ(backend.last_count, 5u);
  // Nothing precedes index 1: an empty page, the backend not asked.
  backend.last_from = 0;
  AdminResponse empty = HandleNow(router, Get("/v1/log", "before=1"));
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body, "");
  EXPECT_EQ(backend.last_from, 0u);

  AdminResponse zero = HandleNow(router, Get("/v1/log", "before=0"));
  EXPECT_EQ(zero.status, 400);
  EXPECT_EQ(zero.body, "{\"error\":\"before=0: expected a log index, 1 or more\"}\n");
  AdminResponse both = HandleNow(router, Get("/v1/log", "from=3&before=9"));
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(both.body, "{\"error\":\"from and before: give one of them\"}\n");
  EXPECT_EQ(HandleNow(router, Get("/v1/log", "before=-1")).status, 400);
  EXPECT_EQ(HandleNow(router, Get("/v1/log", "before=")).status, 400);
}

TEST(AdminRouterTest, StatusWaitsOnlyWhileTheIndexIsNotApplied) {
  FakeBackend backend;
  backend.commit_index = 7;
  backend.applied_index = 3;
  AdminRouter router(backend, kToken);

  AdminResponse now = HandleNow(router, Get("/v1/status"));
  EXPECT_EQ(now.status, 200);
  EXPECT_FALSE(now.wait.has_value());
  now = HandleNow(router, Get("/v1/status", "wait_applied=3"));
  EXPECT_EQ(now.status, 200);
  EXPECT_FALSE(now.wait.has_value()) << "index 3 is applied: no wait";

  AdminResponse later = HandleNow(router, Get("/v1/status", "wait_applied=last"));
  ASSERT_TRUE(later.wait.has_value());
  EXPECT_EQ(later.wait->applied_index, 7u);  // the log's last index when asked
  EXPECT_EQ(later.wait->bound_ms, kAdminWaitMillisecondsMax);
  later = HandleNow(router, Get("/v1/status", "wait_applied=5&wait_ms=250"));
  ASSERT_TRUE(later.wait.has_value());
  EXPECT_EQ(later.wait->applied_index, 5u);
  EXPECT_EQ(later.wait->bound_ms, 250u);

  // Answered when its time comes: 503 naming how far the projections got, or the status.
  AdminResponse late = router.AnswerWait(*later.wait);
  EXPECT_EQ(late.status, 503);
  EXPECT_NE(late.body.find("applied index 3 of 5 within 250 ms"), std::string::npos) << late.body;
  backend.applied_index = 5;
  AdminResponse done = router.AnswerWait(*later.wait);
  EXPECT_EQ(done.status, 200);
  EXPECT_NE(done.body.find("\"node_id\":\"n1\""), std::string::npos) << done.body;
}

TEST(AdminRouterTest, StatusWaitParametersAreChecked) {
  FakeBackend backend;
  AdminRouter router(backend, kToken);
  for (const char* query : {"wait_applied=soon", "wait_applied=-1", "wait_applied=5&wait_ms=0",
                            "wait_applied=5&wait_ms=8001", "wait_applied=5&wait_ms=x"}) {
    AdminResponse response = HandleNow(router, Get("/v1/status", query));
    EXPECT_EQ(response.status, 400) << query;
    EXPECT_FALSE(response.wait.has_value()) << query;
  }
  // Without the token nothing waits.
  EXPECT_EQ(HandleNow(router, Get("/v1/status", "wait_applied=last", false)).status, 401);
}

TEST(AdminRouterTest, OnlyGetIsAllowed) {
  FakeBackend backend;
  AdminRouter router(backend, kToken);
  AdminRequest post = Get("/v1/status");
  post.method = "POST";
  AdminResponse response = HandleNow(router, post);
  EXPECT_EQ(response.status, 405);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Allow", "GET"}));
}

TEST(AdminRouterTest, RoutingOverrideIsAPostWithModeOperatorAndReason) {
  FakeBackend backend;
  AdminRouter router(backend, kToken);
  AdminResponse status = HandleNow(router, Get("/v1/routing/status"));
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.body, "{\"configured\":false}\n");

  AdminRequest force =
      Get("/v1/routing/override",
          "scope=domain%3Aexample.com&mode=continuity&operator=alice&reason=drill");
  EXPECT_EQ(HandleNow(router, force).status, 405);  // a GET changes nothing
  force.method = "POST";
  AdminResponse forced = HandleNow(router, force);
  EXPECT_EQ(forced.status, 200);
  EXPECT_EQ(forced.body, "{\"index\":\"7\"}\n");
  EXPECT_EQ(backend.last_override, "domain:example.com|continuity|alice|drill");

  AdminRequest automatic = force;
  automatic.query = "mode=auto&operator=alice&reason=over";
  EXPECT_EQ(HandleNow(router, automatic).status, 200);
  EXPECT_EQ(backend.last_override, "all|auto|alice|over");

  AdminRequest bad_mode = force;
  bad_mode.query = "mode=off&operator=alice&reason=x";
  AdminResponse refused = HandleNow(router, bad_mode);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.body, "{\"error\":\"mode=off: expected continuity, normal or auto\"}\n");
  AdminRequest no_reason = force;
  no_reason.query = "mode=normal&operator=alice";
  EXPECT_EQ(HandleNow(router, no_reason).status, 400);
}

TEST(AdminTokenTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
}

}  // namespace
}  // namespace lifeboat::admin
