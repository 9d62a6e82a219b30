// Retention: messages received before the window are planned as MessagesPurged events, newer
// ones are kept, and once the purge events are folded the messages (and a body no mailbox holds
// any more) are gone.
#include "appliance/retention_job.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <stdlib.h>

#include <filesystem>

#include "appliance/mailbox_read_state.h"
#include "eventlog/log_store.h"
#include "modules/mailbox/mailbox_projection.h"
#include "modules/mailbox/mailbox_reader.h"

namespace lifeboat {
namespace {

constexpr int64_t kDay = 86'400'000'000;
constexpr int64_t kNow = 1'800'000'000'000'000;

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lifeboat-retention-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    eventlog::LogStoreOptions log_options;
    log_options.path = dir_ + "/log";
    auto log = eventlog::LogStore::Open(log_options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
    eventlog::ProjectionRunnerOptions state_options;
    state_options.path = dir_ + "/state";
    auto runner = eventlog::ProjectionRunner::Open(state_options, {&projection_});
    ASSERT_TRUE(runner.ok()) << runner.status().ToString();
    runner_ = std::move(runner).value();
  }
  void TearDown() override {
    runner_.reset();
    log_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Append(events::Event event, int64_t at) {
    event.set_timestamp_unix_micros(at);
    eventlog::LogRecord record{log_->last_index() + 1, 1, event.SerializeAsString()};
    ASSERT_TRUE(log_->Append({&record, 1}).ok());
    ASSERT_TRUE(runner_->ApplyThrough(*log_, log_->last_index()).ok());
  }
  void Provision(const std::string& id) {
    events::Event event;
    event.mutable_mailbox_provisioned()->set_mailbox_id(id);
    event.mutable_mailbox_provisioned()->set_primary_address(id + "@example.test");
    Append(event, kNow - 100 * kDay);
  }
  void Receive(const std::string& mail_id, const std::vector<std::string>& mailboxes, int64_t at) {
    events::Event event;
    events::MailReceived* mail = event.mutable_mail_received();
    mail->set_mail_id(mail_id);
    mail->set_raw("Subject: " + mail_id + "\r\n\r\nbody of " + mail_id + "\r\n");
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(mail->raw().data()), mail->raw().size(), digest);
    mail->set_body_sha256(digest, sizeof digest);
    for (const std::string& id : mailboxes) {
      events::MailDelivery* delivery = mail->add_deliveries();
      delivery->set_mailbox_id(id);
      delivery->set_folder("Inbox");
    }
    Append(event, at);
  }
  size_t InboxSize(const std::string& mailbox_id) {
    StateMailboxReadState state(*runner_);
    mailbox::MailboxReader reader(state, nullptr);
    auto page = reader.ListFolder(mailbox_id, "Inbox", "", mailbox::kListPageEntriesMax);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->messages.size() : 0;
  }

  std::string dir_;
  mailbox::MailboxProjection projection_;
  std::unique_ptr<eventlog::LogStore> log_;
  std::unique_ptr<eventlog::ProjectionRunner> runner_;
};

TEST_F(RetentionTest, PurgesOnlyWhatIsOlderThanTheWindow) {
  Provision("alice");
  Provision("bob");
  Receive("old-shared", {"alice", "bob"}, kNow - 40 * kDay);
  Receive("old-alice", {"alice"}, kNow - 31 * kDay);
  Receive("new-alice", {"alice"}, kNow - 29 * kDay);
  Receive("new-bob", {"bob"}, kNow - 1 * kDay);
  ASSERT_EQ(InboxSize("alice"), 3u);
  ASSERT_EQ(InboxSize("bob"), 2u);

  auto plan = PlanRetention(*runner_, kNow, 30, "", kRetentionMailboxesPerRunMax);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->messages, 3u);  // old-shared twice, old-alice once
  EXPECT_TRUE(plan->next_page_token.empty());
  for (const events::Event& event : plan->events) {
    ASSERT_TRUE(event.has_messages_purged());
    for (const std::string& id : event.messages_purged().message_ids()) {
      EXPECT_EQ(id.rfind("old-", 0), 0u) << id;
    }
    Append(event, kNow);
  }
  EXPECT_EQ(InboxSize("alice"), 1u);
  EXPECT_EQ(InboxSize("bob"), 1u);

  // Nothing left to purge: a second run plans nothing.
  auto again = PlanRetention(*runner_, kNow, 30, "", kRetentionMailboxesPerRunMax);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->events.empty());
}

TEST_F(RetentionTest, ARunStopsAtItsMailboxBudgetAndTheNextContinues) {
  Provision("alice");
  Provision("bob");
  Receive("old-alice", {"alice"}, kNow - 40 * kDay);
  Receive("old-bob", {"bob"}, kNow - 40 * kDay);
  auto first = PlanRetention(*runner_, kNow, 30, "", 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->messages, 1u);
  ASSERT_FALSE(first->next_page_token.empty());
  auto second = PlanRetention(*runner_, kNow, 30, first->next_page_token, 1);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->messages, 1u);
  ASSERT_EQ(first->events.size(), 1u);
  ASSERT_EQ(second->events.size(), 1u);
  EXPECT_NE(first->events[0].messages_purged().mailbox_id(),
            second->events[0].messages_purged().mailbox_id());
}

}  // namespace
}  // namespace lifeboat
