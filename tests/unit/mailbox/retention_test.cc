// Retention planning: what is older than the window, in bounded batches, one event per mailbox.
#include "modules/mailbox/retention.h"

#include <gtest/gtest.h>

#include <vector>

namespace lifeboat::mailbox {
namespace {

constexpr int64_t kDayMicros = int64_t{86'400} * 1'000'000;
constexpr int64_t kNow = 400 * kDayMicros;

MessageEntry Entry(const std::string& mailbox_id, const std::string& id, int64_t age_days) {
  MessageEntry entry;
  entry.set_mailbox_id(mailbox_id);
  entry.set_message_id(id);
  entry.set_received_unix_micros(kNow - age_days * kDayMicros);
  return entry;
}

TEST(RetentionTest, PurgesOnlyMessagesOlderThanTheWindow) {
  std::vector<MessageEntry> listing = {Entry("u1", "new", 1), Entry("u1", "edge", 30),
                                       Entry("u1", "old", 31), Entry("u2", "older", 90),
                                       Entry("u1", "oldest", 365)};
  Result<std::vector<events::MessagesPurged>> purges = PlanRetentionPurge(kNow, 30, listing);
  ASSERT_TRUE(purges.ok());
  ASSERT_EQ(purges->size(), 2u);
  EXPECT_EQ((*purges)[0].mailbox_id(), "u1");
  ASSERT_EQ((*purges)[0].message_ids_size(), 2);
  EXPECT_EQ((*purges)[0].message_ids(0), "old");
  EXPECT_EQ((*purges)[0].message_ids(1), "oldest");
  EXPECT_EQ((*purges)[0].reason(), "retention: older than 30 days");
  EXPECT_EQ((*purges)[1].mailbox_id(), "u2");
  EXPECT_EQ((*purges)[1].message_ids(0), "older");
}

TEST(RetentionTest, BatchIsBounded) {
  std::vector<MessageEntry> listing;
  for (int i = 0; i < 2500; ++i) listing.push_back(Entry("u1", "m" + std::to_string(i), 100));
  Result<std::vector<events::MessagesPurged>> small = PlanRetentionPurge(kNow, 30, listing, 10);
  ASSERT_TRUE(small.ok());
  ASSERT_EQ(small->size(), 1u);
  EXPECT_EQ((*small)[0].message_ids_size(), 10);
  Result<std::vector<events::MessagesPurged>> capped =
      PlanRetentionPurge(kNow, 30, listing, 1'000'000);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(static_cast<size_t>((*capped)[0].message_ids_size()), kRetentionBatchMessagesMax);
}

TEST(RetentionTest, NothingOldMeansNoEvent) {
  std::vector<MessageEntry> listing = {Entry("u1", "a", 0), Entry("u1", "b", 29)};
  Result<std::vector<events::MessagesPurged>> purges = PlanRetentionPurge(kNow, 30, listing);
  ASSERT_TRUE(purges.ok());
  EXPECT_TRUE(purges->empty());
}

TEST(RetentionTest, ZeroOrAbsurdWindowIsRejected) {
  std::vector<MessageEntry> listing = {Entry("u1", "a", 10)};
  EXPECT_EQ(PlanRetentionPurge(kNow, 0, listing).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanRetentionPurge(kNow, kRetentionDaysMax + 1, listing).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lifeboat::mailbox
