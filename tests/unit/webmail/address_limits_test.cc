// Per-address limits of the webmail listener (address_limits.h), as a timeline.
#include "modules/webmail/address_limits.h"

#include <gtest/gtest.h>

namespace lifeboat::webmail {
namespace {

using std::chrono::seconds;

TEST(AddressLimitsTest, ConnectionsPerAddressAreCappedAndFreedOnClose) {
  AddressLimitsConfig config;
  config.connections_per_address_max = 2;
  AddressLimits limits(config);
  EXPECT_TRUE(limits.OpenConnection("192.0.2.1"));
  EXPECT_TRUE(limits.OpenConnection("192.0.2.1"));
  EXPECT_FALSE(limits.OpenConnection("192.0.2.1"));
  EXPECT_TRUE(limits.OpenConnection("192.0.2.2"));  // another address is not affected
  limits.CloseConnection("192.0.2.1");
  EXPECT_EQ(limits.open_connections("192.0.2.1"), 1u);
  EXPECT_TRUE(limits.OpenConnection("192.0.2.1"));
  limits.CloseConnection("192.0.2.1");
  limits.CloseConnection("192.0.2.1");
  EXPECT_EQ(limits.open_connections("192.0.2.1"), 0u);
}

TEST(AddressLimitsTest, RequestsDrainABucketThatRefillsOverAMinute) {
  AddressLimitsConfig config;
  config.requests_per_address_per_minute_max = 60;  // one a second
  AddressLimits limits(config);
  MonoTime now = seconds(1000);
  for (int i = 0; i < 60; ++i) {
    ASSERT_FALSE(limits.AdmitRequest("192.0.2.1", now).has_value()) << i;  // the burst
  }
  std::optional<seconds> wait = limits.AdmitRequest("192.0.2.1", now);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, seconds(1));
  EXPECT_FALSE(limits.AdmitRequest("192.0.2.9", now).has_value());  // per address
  now += seconds(1);
  EXPECT_FALSE(limits.AdmitRequest("192.0.2.1", now).has_value());
  EXPECT_TRUE(limits.AdmitRequest("192.0.2.1", now).has_value());
  now += seconds(120);  // refills, but never above the minute's worth
  for (int i = 0; i < 60; ++i) ASSERT_FALSE(limits.AdmitRequest("192.0.2.1", now).has_value());
  EXPECT_TRUE(limits.AdmitRequest("192.0.2.1", now).has_value());
}

}  // namespace
}  // namespace lifeboat::webmail
