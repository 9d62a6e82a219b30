// Sessions: ids, the cookie string, CSRF tokens, idle and absolute timeouts.
#include "modules/auth/session.h"

#include <gtest/gtest.h>

#include <set>

#include "modules/auth/auth_limits.h"
#include "modules/auth/secrets.h"
#include "simulator/manual_env.h"

namespace lifeboat::auth {
namespace {

TEST(SessionTest, IdsAre128RandomBitsAndTheEventCarriesOnlyTheirDigest) {
  simulator::ManualEnv env(11);
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    NewSession session = StartSession(env, "u-alice", "198.51.100.7", "ldap-bind");
    EXPECT_EQ(session.id.size(), 32u);
    EXPECT_TRUE(ParseSessionId(session.id).has_value());
    EXPECT_EQ(session.event.session_id_sha256(), Sha256(session.id));
    EXPECT_EQ(session.event.SerializeAsString().find(session.id), std::string::npos);
    EXPECT_EQ(session.event.user_id(), "u-alice");
    ids.insert(session.id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(SessionTest, TheCookieIsHostPrefixedSecureHttpOnlyStrict) {
  EXPECT_EQ(SessionCookie("00112233445566778899aabbccddeeff"),
            "__Host-lifeboat-session=00112233445566778899aabbccddeeff; Path=/; Secure; HttpOnly; "
            "SameSite=Strict");
  EXPECT_EQ(ClearedSessionCookie(),
            "__Host-lifeboat-session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
  EXPECT_EQ(SessionCookie("x").find("Domain"), std::string::npos);
}

TEST(SessionTest, OnlyIdShapedCookieValuesAreLookedUp) {
  EXPECT_TRUE(ParseSessionId("00112233445566778899aabbccddeeff").has_value());
  EXPECT_FALSE(ParseSessionId("00112233445566778899AABBCCDDEEFF").has_value());
  EXPECT_FALSE(ParseSessionId("00112233445566778899aabbccddeef").has_value());
  EXPECT_FALSE(ParseSessionId("").has_value());
  EXPECT_FALSE(ParseSessionId("../../etc/passwd/aabbccddeeff0011").has_value());
}

TEST(SessionTest, TheCsrfTokenIsBoundToItsSession) {
  const std::string a = "00112233445566778899aabbccddeeff";
  const std::string b = "00112233445566778899aabbccddeef0";
  std::string token = CsrfToken(a);
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(token, CsrfToken(a));
  EXPECT_NE(token, CsrfToken(b));
  EXPECT_TRUE(CsrfTokenMatches(a, token));
  EXPECT_FALSE(CsrfTokenMatches(b, token));
  EXPECT_FALSE(CsrfTokenMatches(a, ""));
  EXPECT_FALSE(CsrfTokenMatches(a, token.substr(0, 63)));
}

TEST(SessionActivityTest, IdleAndAbsoluteTimeouts) {
  SessionActivity activity;
  SessionRecord record;
  record.set_user_id("u-alice");
  const WallTime created(1'700'000'000'000'000);
  record.set_created_unix_micros(created.count());
  const std::string digest = Sha256("id");
  MonoTime mono(0);
  WallTime wall = created;
  EXPECT_EQ(activity.Check(digest, record, mono, wall), SessionCheck::kValid);
  // Used every 29 minutes: stays valid past the idle timeout's length.
  for (int i = 0; i < 4; ++i) {
    mono += std::chrono::minutes(29);
    wall += std::chrono::minutes(29);
    EXPECT_EQ(activity.Check(digest, record, mono, wall), SessionCheck::kValid) << i;
  }
  // Idle for the full timeout: expired, and it stays expired.
  mono += kSessionIdleTimeout;
  wall += kSessionIdleTimeout;
  EXPECT_EQ(activity.Check(digest, record, mono, wall), SessionCheck::kIdleExpired);
  EXPECT_EQ(activity.Check(digest, record, mono, wall), SessionCheck::kIdleExpired);
  // A session used all the time still ends at the absolute timeout.
  activity.Forget(digest);
  EXPECT_EQ(activity.Check(digest, record, mono,
                           created + kSessionAbsoluteTimeout - std::chrono::seconds(1)),
            SessionCheck::kValid);
  EXPECT_EQ(activity.Check(digest, record, mono, created + kSessionAbsoluteTimeout),
            SessionCheck::kAbsoluteExpired);
  // Not in the committed view (never started, or ended by logout): unknown.
  EXPECT_EQ(activity.Check(digest, std::nullopt, mono, wall), SessionCheck::kUnknown);
}

}  // namespace
}  // namespace lifeboat::auth
