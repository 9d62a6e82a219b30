// The delivery queue as a timeline: mails added, attempts taken when due, results folded, the
// events and DSN recipients that follow, and when the next attempt is.
#include "modules/delivery/delivery_queue.h"

#include <gtest/gtest.h>

#include "modules/delivery/smtp_client_limits.h"

namespace lifeboat::delivery {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr std::string_view kPrimary = "mx.corp.test:25";
const WallTime kStart{hours(500'000)};

RecipientResult Result(std::string recipient, RecipientOutcome outcome, int code, std::string reply,
                       bool maybe_delivered = false) {
  RecipientResult result;
  result.recipient = std::move(recipient);
  result.outcome = outcome;
  result.smtp_code = code;
  result.reply = std::move(reply);
  result.maybe_delivered = maybe_delivered;
  return result;
}

class DeliveryQueueTest : public ::testing::Test {
 protected:
  DeliveryQueue queue_{RetryPolicy{}};
};

TEST_F(DeliveryQueueTest, OldestFirstAndOnlyWhenDue) {
  queue_.Add("m2", "s@example.org", {"bob@corp.test"}, std::string(kPrimary), kStart + minutes(1));
  queue_.Add("m1", "s@example.org", {"alice@corp.test"}, std::string(kPrimary), kStart);
  EXPECT_TRUE(queue_.TakeDue(kStart - minutes(1), 10).empty());
  std::vector<DeliveryAttempt> due = queue_.TakeDue(kStart + minutes(5), 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].mail_id, "m1");
  EXPECT_EQ(due[1].mail_id, "m2");
  EXPECT_EQ(due[0].attempt, 1u);
  // In flight: not due again, nothing waits.
  EXPECT_TRUE(queue_.TakeDue(kStart + minutes(5), 10).empty());
  EXPECT_FALSE(queue_.NextDue().has_value());
}

TEST_F(DeliveryQueueTest, MixedResultsGiveEventsAndRetryWithBackoff) {
  queue_.Add("m1", "s@example.org", {"a@corp.test", "b@corp.test", "c@corp.test"},
             std::string(kPrimary), kStart);
  std::vector<DeliveryAttempt> due = queue_.TakeDue(kStart, 10);
  ASSERT_EQ(due.size(), 1u);
  AttemptOutcome outcome = queue_.OnResults(
      due[0],
      {Result("a@corp.test", RecipientOutcome::kDelivered, 250, "250 2.0.0 queued as X"),
       Result("b@corp.test", RecipientOutcome::kRetry, 451, "451 4.3.0 try later"),
       Result("c@corp.test", RecipientOutcome::kBounce, 550, "550 5.1.1 unknown")},
      "mx.corp.test", kStart, /*random=*/0);
  ASSERT_EQ(outcome.events.size(), 3u);
  const events::DeliveryAttempted& attempted = outcome.events[0].delivery_attempted();
  EXPECT_EQ(attempted.mail_id(), "m1");
  EXPECT_EQ(attempted.attempt(), 1u);
  EXPECT_EQ(attempted.rcpt_to_size(), 3);
  EXPECT_EQ(attempted.smtp_code(), 451u);
  EXPECT_EQ(attempted.destination(), kPrimary);
  EXPECT_EQ(attempted.next_attempt_unix_micros(), (kStart + minutes(1)).count());
  EXPECT_EQ(outcome.events[1].delivered().rcpt_to(0), "a@corp.test");
  EXPECT_EQ(outcome.events[1].delivered().smtp_reply(), "250 2.0.0 queued as X");
  EXPECT_EQ(outcome.events[2].bounced().rcpt_to(0), "c@corp.test");
  EXPECT_EQ(outcome.events[2].bounced().smtp_code(), 550u);
  ASSERT_EQ(outcome.dsn_recipients.size(), 1u);
  EXPECT_EQ(outcome.dsn_recipients[0].recipient, "c@corp.test");
  EXPECT_EQ(outcome.dsn_recipients[0].remote_mta, "mx.corp.test");

  // Only b waits, a minute later, then two minutes after the second try.
  EXPECT_EQ(queue_.NextDue(), kStart + minutes(1));
  EXPECT_TRUE(queue_.TakeDue(kStart + minutes(1) - std::chrono::microseconds(1), 10).empty());
  due = queue_.TakeDue(kStart + minutes(1), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].rcpt_to, std::vector<std::string>{"b@corp.test"});
  EXPECT_EQ(due[0].attempt, 2u);
  outcome = queue_.OnResults(due[0],
                             {Result("b@corp.test", RecipientOutcome::kRetry, 0, "timeout", true)},
                             "mx.corp.test", kStart + minutes(1), 0);
  EXPECT_EQ(queue_.NextDue(), kStart + minutes(3));
  EXPECT_EQ(queue_.possible_duplicates(), 1u);
  due = queue_.TakeDue(kStart + minutes(3), 10);
  outcome = queue_.OnResults(due.at(0),
                             {Result("b@corp.test", RecipientOutcome::kDelivered, 250, "250 ok")},
                             "mx.corp.test", kStart + minutes(3), 0);
  EXPECT_EQ(outcome.events.size(), 2u);
  EXPECT_EQ(queue_.size(), 0u);
}

TEST_F(DeliveryQueueTest, TemporaryFailuresUntilTheMaximumAgeThenBounceWithDsn) {
  queue_.Add("m1", "s@example.org", {"a@corp.test"}, std::string(kPrimary), kStart);
  WallTime now = kStart;
  uint32_t attempts = 0;
  AttemptOutcome last;
  while (queue_.size() > 0) {
    std::optional<WallTime> due_at = queue_.NextDue();
    ASSERT_TRUE(due_at.has_value());
    now = *due_at;
    std::vector<DeliveryAttempt> due = queue_.TakeDue(now, 10);
    ASSERT_EQ(due.size(), 1u);
    ++attempts;
    last =
        queue_.OnResults(due[0], {Result("a@corp.test", RecipientOutcome::kRetry, 421, "421 busy")},
                         "mx.corp.test", now, /*random=*/attempts * 0x9e3779b97f4a7c15ull);
  }
  EXPECT_LE(now, kStart + RetryPolicy{}.maximum_age);
  EXPECT_GT(now, kStart + RetryPolicy{}.maximum_age - RetryPolicy{}.interval_max);
  // 1 + 2 + 4 + 8 minutes, then every 15 minutes or a little less (jitter) for 5 days.
  EXPECT_GT(attempts, 5u * 24 * 4);
  EXPECT_LT(attempts, 5u * 24 * 4 * 4 / 3 + 10);
  ASSERT_EQ(last.events.size(), 2u);
  EXPECT_EQ(last.events[1].bounced().reason(),
            "maximum age reached after " + std::to_string(attempts) + " attempts");
  ASSERT_EQ(last.dsn_recipients.size(), 1u);
  EXPECT_TRUE(last.dsn_recipients[0].expired);
}

TEST_F(DeliveryQueueTest, NoDsnForTheNullSenderAndLargeRecipientListsSplit) {
  std::vector<std::string> many;
  for (int i = 0; i < 150; ++i) many.push_back("r" + std::to_string(i) + "@corp.test");
  queue_.Add("dsn-1", "", many, std::string(kPrimary), kStart);
  std::vector<DeliveryAttempt> first = queue_.TakeDue(kStart, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].rcpt_to.size(), kRecipientsPerTransactionMax);
  std::vector<DeliveryAttempt> second = queue_.TakeDue(kStart, 1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].rcpt_to.size(), 50u);
  std::vector<RecipientResult> refused;
  for (const std::string& r : second[0].rcpt_to) {
    refused.push_back(Result(r, RecipientOutcome::kBounce, 550, "550 no"));
  }
  AttemptOutcome outcome = queue_.OnResults(second[0], refused, "mx.corp.test", kStart, 0);
  EXPECT_EQ(outcome.events.size(), 51u);  // attempted + 50 bounced
  EXPECT_TRUE(outcome.dsn_recipients.empty());
  EXPECT_EQ(queue_.size(), 1u);
}

// Continuity holds a recipient back (the driver's filter is the routing table's mode): it is
// neither attempted nor aged by an attempt, and goes, oldest first, once its scope relays again
// (failback). CountRecipients sees held and in-flight recipients alike: the failback drain is
// done only when none is left.
TEST_F(DeliveryQueueTest, HeldRecipientsWaitUntilTheirScopeRelaysAgain) {
  queue_.Add("m1", "s@example.org", {"kept@corp.test", "pilot@corp.test"}, std::string(kPrimary),
             kStart);
  queue_.Add("m2", "s@example.org", {"kept@corp.test"}, std::string(kPrimary), kStart + minutes(1));
  bool continuity = true;
  auto relay_now = [&](const std::string& recipient) {
    return !(continuity && recipient == "kept@corp.test");
  };
  std::vector<DeliveryAttempt> due = queue_.TakeDue(kStart + minutes(2), 10, relay_now);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].mail_id, "m1");
  EXPECT_EQ(due[0].rcpt_to, (std::vector<std::string>{"pilot@corp.test"}));
  auto all = [](const std::string&) { return true; };
  EXPECT_EQ(queue_.CountRecipients(all), 3u);  // the one in flight counts too
  queue_.OnResults(due[0], {Result("pilot@corp.test", RecipientOutcome::kDelivered, 250, "250 ok")},
                   "mx.corp.test", kStart + minutes(2), 0);
  EXPECT_TRUE(queue_.TakeDue(kStart + minutes(3), 10, relay_now).empty());
  EXPECT_EQ(queue_.CountRecipients(all), 2u);

  continuity = false;  // failback: the held mail goes, oldest first, as a first attempt
  due = queue_.TakeDue(kStart + minutes(3), 10, relay_now);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].mail_id, "m1");
  EXPECT_EQ(due[0].attempt, 2u);  // m1 had one attempt (for its other recipient)
  EXPECT_EQ(due[1].mail_id, "m2");
  EXPECT_EQ(due[1].attempt, 1u);
  EXPECT_TRUE(queue_.Contains("m2"));
  EXPECT_FALSE(queue_.Contains("m3"));
}

}  // namespace
}  // namespace lifeboat::delivery
