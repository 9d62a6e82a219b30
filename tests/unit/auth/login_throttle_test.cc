// The failed-login throttle as a timeline: failures, waits, and who may still try.
#include "modules/auth/login_throttle.h"

#include <gtest/gtest.h>

#include "modules/auth/auth_limits.h"

namespace lifeboat::auth {
namespace {

using std::chrono::seconds;

MonoTime At(seconds s) {
  return MonoTime(s);
}

TEST(LoginThrottleTest, APairBacksOffAfterItsFreeFailuresAndTheWaitDoubles) {
  LoginThrottle throttle;
  seconds t{100};
  for (uint32_t i = 0; i < kPairFailuresFree; ++i) {
    ASSERT_TRUE(throttle.Check("alice", "198.51.100.7", At(t)).allowed) << i;
    throttle.RecordFailure("alice", "198.51.100.7", At(t));
  }
  EXPECT_TRUE(throttle.Check("alice", "198.51.100.7", At(t)).allowed);
  throttle.RecordFailure("alice", "198.51.100.7", At(t));  // first failure past the free ones
  ThrottleVerdict verdict = throttle.Check("alice", "198.51.100.7", At(t));
  EXPECT_FALSE(verdict.allowed);
  EXPECT_EQ(verdict.retry_after, Duration(kBackoffInitial));
  EXPECT_TRUE(throttle.Check("alice", "198.51.100.7", At(t + kBackoffInitial)).allowed);
  t += kBackoffInitial;
  throttle.RecordFailure("alice", "198.51.100.7", At(t));
  EXPECT_EQ(throttle.Check("alice", "198.51.100.7", At(t)).retry_after,
            Duration(2 * kBackoffInitial));
}

TEST(LoginThrottleTest, TheBackoffIsCappedNotALockout) {
  LoginThrottle throttle;
  seconds t{0};
  for (int i = 0; i < 40; ++i) {
    throttle.RecordFailure("alice", "198.51.100.7", At(t));
    t += seconds(1);
  }
  ThrottleVerdict verdict = throttle.Check("alice", "198.51.100.7", At(t));
  EXPECT_FALSE(verdict.allowed);
  EXPECT_LE(verdict.retry_after, Duration(kAddressBackoffMax));
  EXPECT_TRUE(throttle.Check("alice", "198.51.100.7", At(t + kAddressBackoffMax)).allowed);
}

TEST(LoginThrottleTest, AGuesserAtOneAddressDoesNotSlowTheUserAtAnother) {
  LoginThrottle throttle;
  for (uint32_t i = 0; i < kPairFailuresFree + 3; ++i) {
    throttle.RecordFailure("alice", "203.0.113.66", At(seconds(i)));
  }
  EXPECT_FALSE(throttle.Check("alice", "203.0.113.66", At(seconds(10))).allowed);
  EXPECT_TRUE(throttle.Check("alice", "198.51.100.7", At(seconds(10))).allowed);
  EXPECT_TRUE(throttle.Check("bob", "198.51.100.8", At(seconds(10))).allowed);
}

TEST(LoginThrottleTest, OneAddressSprayingManyAccountsBacksOff) {
  LoginThrottle throttle;
  const uint32_t failures = kAddressFailuresFree + 3;
  for (uint32_t i = 0; i < failures; ++i) {
    std::string account = "user" + std::to_string(i);
    if (i <= kAddressFailuresFree) {  // every account new, the address still within its budget
      ASSERT_TRUE(throttle.Check(account, "203.0.113.66", At(seconds(i))).allowed) << i;
    }
    throttle.RecordFailure(account, "203.0.113.66", At(seconds(i)));
  }
  // Three failures past the free ones: the next attempt waits 4 s after the last failure.
  const seconds last(failures - 1);
  ThrottleVerdict verdict = throttle.Check("someone-new", "203.0.113.66", At(last));
  EXPECT_FALSE(verdict.allowed);
  EXPECT_EQ(verdict.reason, "too many failed attempts from this address");
  EXPECT_EQ(verdict.retry_after, Duration(4 * kBackoffInitial));
  EXPECT_TRUE(
      throttle.Check("someone-new", "203.0.113.66", At(last + 4 * kBackoffInitial)).allowed);
  EXPECT_TRUE(throttle.Check("someone-new", "198.51.100.7", At(last)).allowed);
}

TEST(LoginThrottleTest, AnAccountPastItsBudgetStillAcceptsItsKnownAddresses) {
  LoginThrottle throttle;
  throttle.RecordSuccess("alice", "198.51.100.7", At(seconds(0)));
  // A botnet: every failure from another address, each under its pair and address limits.
  for (uint32_t i = 0; i < kAccountFailuresPerWindowMax; ++i) {
    std::string address = "203.0." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    throttle.RecordFailure("alice", address, At(seconds(10)));
  }
  ThrottleVerdict stranger = throttle.Check("alice", "192.0.2.200", At(seconds(20)));
  EXPECT_FALSE(stranger.allowed);
  EXPECT_EQ(stranger.reason, "too many failed attempts for this account");
  EXPECT_EQ(stranger.retry_after, Duration(kFailureWindow) - Duration(seconds(10)));
  // The user at the address they logged in from before is not locked out.
  EXPECT_TRUE(throttle.Check("alice", "198.51.100.7", At(seconds(20))).allowed);
  // The window ends: strangers may try again (ASVS 2.2.1: at most 100 failures per hour).
  EXPECT_TRUE(throttle.Check("alice", "192.0.2.200", At(seconds(10) + kFailureWindow)).allowed);
}

TEST(LoginThrottleTest, ASuccessClearsThePairsFailures) {
  LoginThrottle throttle;
  for (uint32_t i = 0; i < kPairFailuresFree; ++i) {
    throttle.RecordFailure("alice", "198.51.100.7", At(seconds(i)));
  }
  throttle.RecordSuccess("alice", "198.51.100.7", At(seconds(10)));
  throttle.RecordFailure("alice", "198.51.100.7", At(seconds(11)));
  EXPECT_TRUE(throttle.Check("alice", "198.51.100.7", At(seconds(11))).allowed);
}

TEST(LoginThrottleTest, FailuresOutsideTheWindowAreForgiven) {
  LoginThrottle throttle;
  for (uint32_t i = 0; i < kPairFailuresFree + 2; ++i) {
    throttle.RecordFailure("alice", "198.51.100.7", At(seconds(i)));
  }
  seconds later = seconds(kPairFailuresFree + 2) + kFailureWindow;
  throttle.RecordFailure("alice", "198.51.100.7", At(later));
  EXPECT_TRUE(throttle.Check("alice", "198.51.100.7", At(later)).allowed);
}

TEST(LruTableTest, TheLeastRecentlyTouchedEntryIsForgottenFirst) {
  LruTable<int> table(2);
  table.Touch("a") = 1;
  table.Touch("b") = 2;
  table.Touch("a");
  table.Touch("c") = 3;
  EXPECT_EQ(table.size(), 2u);
  ASSERT_NE(table.Find("a"), nullptr);
  EXPECT_EQ(*table.Find("a"), 1);
  EXPECT_EQ(table.Find("b"), nullptr);
  table.Erase("a");
  EXPECT_EQ(table.Find("a"), nullptr);
  EXPECT_EQ(table.size(), 1u);
}

}  // namespace
}  // namespace lifeboat::auth
