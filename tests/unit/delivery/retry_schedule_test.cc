#include "modules/delivery/retry_schedule.h"

#include <gtest/gtest.h>

namespace lifeboat::delivery {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr uint64_t kNoJitter = 0;
constexpr uint64_t kMostJitter = UINT64_MAX;

TEST(RetryScheduleTest, DoublesFromTheInitialWaitUpToTheCap) {
  RetryPolicy policy;
  EXPECT_EQ(RetryDelay(policy, 1, kNoJitter), minutes(1));
  EXPECT_EQ(RetryDelay(policy, 2, kNoJitter), minutes(2));
  EXPECT_EQ(RetryDelay(policy, 3, kNoJitter), minutes(4));
  EXPECT_EQ(RetryDelay(policy, 4, kNoJitter), minutes(8));
  EXPECT_EQ(RetryDelay(policy, 5, kNoJitter), minutes(15));  // 16 capped
  EXPECT_EQ(RetryDelay(policy, 1000, kNoJitter), minutes(15));
}

TEST(RetryScheduleTest, JitterShortensByAtMostItsFraction) {
  RetryPolicy policy;
  Duration most = RetryDelay(policy, 3, kMostJitter);
  EXPECT_LT(most, minutes(4));
  EXPECT_GE(most, minutes(3));  // 4 min less at most 25 %
  Duration half = RetryDelay(policy, 3, uint64_t{1} << 63);
  EXPECT_EQ(half, minutes(4) - seconds(30));  // 12.5 % of 4 min
  // Different random values spread mail deferred together.
  EXPECT_NE(RetryDelay(policy, 3, 12345678901234567ull), RetryDelay(policy, 3, 98765432109876ull));
}

TEST(RetryScheduleTest, GivesUpAtTheMaximumAge) {
  RetryPolicy policy;
  WallTime first{hours(1000)};
  std::optional<WallTime> next = NextAttemptTime(policy, 1, first, first, kNoJitter);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, first + minutes(1));
  // Four days and 23 hours 50 minutes in: the next try (15 min later) would be too late.
  WallTime late = first + hours(5 * 24) - minutes(10);
  EXPECT_FALSE(NextAttemptTime(policy, 40, first, late, kNoJitter).has_value());
  EXPECT_TRUE(NextAttemptTime(policy, 40, first, late - minutes(10), kNoJitter).has_value());
}

}  // namespace
}  // namespace lifeboat::delivery
