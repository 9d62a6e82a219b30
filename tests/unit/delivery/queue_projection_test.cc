// The queue projection: what is owed to a primary (inbound mail minus Delivered and Bounced
// recipients), the view changing only at commit, and the three ways to reach a state giving the
// same one: folding batch by batch, rebuilding from the whole log at once, restoring the stored
// keys at the next start.
#include "modules/delivery/queue_projection.h"

#include <gtest/gtest.h>

#include "tests/unit/eventlog/map_projection_state.h"

namespace lifeboat::delivery {
namespace {

using MapState = eventlog::testing::MapProjectionState;

events::Event Received(uint64_t index, std::string mail_id, std::vector<std::string> rcpt_to,
                       events::MailSource source = events::MAIL_SOURCE_SMTP_INBOUND) {
  events::Event event;
  event.set_index(index);
  event.set_timestamp_unix_micros(1'000'000 * static_cast<int64_t>(index));
  events::MailReceived* mail = event.mutable_mail_received();
  mail->set_mail_id(std::move(mail_id));
  mail->set_mail_from("sender@outside.test");
  for (std::string& rcpt : rcpt_to) mail->add_rcpt_to(std::move(rcpt));
  mail->set_raw("Subject: not kept by the queue\r\n\r\nbody\r\n");
  mail->set_source(source);
  return event;
}

events::Event Delivered(uint64_t index, std::string mail_id, std::vector<std::string> rcpt_to) {
  events::Event event;
  event.set_index(index);
  events::Delivered* delivered = event.mutable_delivered();
  delivered->set_mail_id(std::move(mail_id));
  for (std::string& rcpt : rcpt_to) delivered->add_rcpt_to(std::move(rcpt));
  return event;
}

events::Event Bounced(uint64_t index, std::string mail_id, std::vector<std::string> rcpt_to) {
  events::Event event;
  event.set_index(index);
  events::Bounced* bounced = event.mutable_bounced();
  bounced->set_mail_id(std::move(mail_id));
  for (std::string& rcpt : rcpt_to) bounced->add_rcpt_to(std::move(rcpt));
  return event;
}

std::vector<std::string> Ids(const std::vector<QueuedMail>& mails) {
  std::vector<std::string> ids;
  for (const QueuedMail& mail : mails) ids.push_back(mail.mail_id);
  return ids;
}

class QueueProjectionTest : public ::testing::Test {
 protected:
  void ApplyBatch(const std::vector<events::Event>& batch) {
    for (const events::Event& event : batch) {
      Status status = projection_.Apply(event, state_);
      ASSERT_TRUE(status.ok()) << status.ToString();
    }
    projection_.OnBatchCommitted();
    log_.insert(log_.end(), batch.begin(), batch.end());
  }

  DeliveryQueueView view_;
  QueueProjection projection_{view_};
  MapState state_;
  std::vector<events::Event> log_;
};

TEST_F(QueueProjectionTest, InboundMailIsOwedToThePrimaryUntilEachRecipientIsDone) {
  ApplyBatch({Received(1, "m1", {"alice@corp.test", "bob@corp.test"}),
              Received(2, "m2", {"carol@corp.test"})});
  ASSERT_EQ(view_.size(), 2u);
  EXPECT_EQ(view_.recipients(), 3u);
  std::vector<QueuedMail> queued = view_.Snapshot();
  EXPECT_EQ(Ids(queued), (std::vector<std::string>{"m1", "m2"}));  // oldest first
  EXPECT_EQ(queued[0].event_index, 1u);
  EXPECT_EQ(queued[0].received, WallTime(1'000'000));
  EXPECT_EQ(queued[0].mail_from, "sender@outside.test");

  ApplyBatch({Delivered(3, "m1", {"alice@corp.test"})});
  queued = view_.Snapshot();
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(queued[0].rcpt_to, (std::vector<std::string>{"bob@corp.test"}));
  ApplyBatch({Bounced(4, "m1", {"bob@corp.test"}), Delivered(5, "m2", {"carol@corp.test"})});
  EXPECT_EQ(view_.size(), 0u);
  EXPECT_TRUE(state_.values.empty());
}

TEST_F(QueueProjectionTest, JournalAndWebmailMailAreNotRelayedToThePrimary) {
  ApplyBatch({Received(1, "journal", {"alice@corp.test"}, events::MAIL_SOURCE_JOURNAL),
              Received(2, "sent", {"out@else.test"}, events::MAIL_SOURCE_WEBMAIL),
              Received(3, "inbound", {"alice@corp.test"})});
  EXPECT_EQ(Ids(view_.Snapshot()), (std::vector<std::string>{"inbound"}));
  // A Delivered for something never queued (a DSN we sent) changes nothing.
  ApplyBatch({Delivered(4, "dsn-1", {"sender@outside.test"})});
  EXPECT_EQ(view_.size(), 1u);
}

TEST_F(QueueProjectionTest, TheViewChangesOnlyWhenTheBatchCommits) {
  ASSERT_TRUE(projection_.Apply(Received(1, "m1", {"alice@corp.test"}), state_).ok());
  EXPECT_EQ(view_.size(), 0u);
  projection_.OnBatchDiscarded();
  EXPECT_EQ(view_.size(), 0u);
  ApplyBatch({Received(2, "m2", {"alice@corp.test"})});
  EXPECT_EQ(Ids(view_.Snapshot()), (std::vector<std::string>{"m2"}));
  EXPECT_EQ(Ids(view_.AddedAfter(1)), (std::vector<std::string>{"m2"}));
  EXPECT_TRUE(view_.AddedAfter(2).empty());
}

TEST_F(QueueProjectionTest, RebuildFromTheLogAndRestoreGiveTheIncrementalState) {
  ApplyBatch({Received(1, "m1", {"a@corp.test", "b@corp.test"})});
  ApplyBatch({Received(2, "m2", {"c@corp.test"}), Delivered(3, "m1", {"b@corp.test"})});
  ApplyBatch({Received(4, "m3", {"d@corp.test"}), Bounced(5, "m2", {"c@corp.test"})});
  ApplyBatch({Received(6, "m4", {"e@corp.test"}, events::MAIL_SOURCE_JOURNAL)});

  // Rebuild: the whole log in one batch into an empty state.
  DeliveryQueueView rebuilt_view;
  QueueProjection rebuilt{rebuilt_view};
  MapState rebuilt_state;
  for (const events::Event& event : log_) ASSERT_TRUE(rebuilt.Apply(event, rebuilt_state).ok());
  rebuilt.OnBatchCommitted();
  EXPECT_EQ(rebuilt_state.values, state_.values);
  EXPECT_EQ(rebuilt_view.Snapshot(), view_.Snapshot());

  // Restart: the stored keys refill a fresh view.
  DeliveryQueueView restored_view;
  QueueProjection restored{restored_view};
  for (const auto& [key, value] : state_.values) ASSERT_TRUE(restored.Restore(key, value).ok());
  EXPECT_EQ(restored_view.Snapshot(), view_.Snapshot());
  EXPECT_EQ(Ids(restored_view.Snapshot()), (std::vector<std::string>{"m1", "m3"}));
  EXPECT_EQ(restored_view.Snapshot()[0].rcpt_to, (std::vector<std::string>{"a@corp.test"}));
}

TEST_F(QueueProjectionTest, DamagedStoredValuesAreCorruption) {
  EXPECT_EQ(projection_.Restore("mail/m1", "not a protobuf \xff").code(), StatusCode::kCorruption);
  EXPECT_EQ(projection_.Restore("other/m1", "").code(), StatusCode::kCorruption);
  events::Event no_id = Received(1, "", {"a@corp.test"});
  EXPECT_EQ(projection_.Apply(no_id, state_).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace lifeboat::delivery
