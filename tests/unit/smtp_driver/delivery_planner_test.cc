// Where accepted mail is filed: inbound mail in the Inbox of every mailbox its recipients reach
// (lists expanded, each mailbox once); journal copies as history, unwrapped from an Exchange
// journal report, in the sender's Sent folder and the local recipients' Inboxes.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "appliance/smtp/smtp_service.h"

namespace lifeboat::smtp_driver {
namespace {

events::DirectoryEntry Entry(const std::string& id, events::DirectoryEntryKind kind,
                             const std::string& address, std::vector<std::string> members = {}) {
  events::DirectoryEntry entry;
  entry.set_id(id);
  entry.set_kind(kind);
  entry.set_primary_address(address);
  entry.add_addresses(address);
  for (const std::string& member : members) entry.add_member_ids(member);
  return entry;
}

std::set<std::pair<std::string, std::string>> Filed(const PlannedMail& plan) {
  std::set<std::pair<std::string, std::string>> filed;
  for (const auto& delivery : plan.deliveries)
    filed.emplace(delivery.mailbox_id(), delivery.folder());
  return filed;
}

class DeliveryPlannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    view_.Upsert(Entry("u-alice", events::DIRECTORY_ENTRY_KIND_USER, "alice@example.test"));
    view_.Upsert(Entry("u-bob", events::DIRECTORY_ENTRY_KIND_USER, "bob@example.test"));
    view_.Upsert(Entry("g-sales", events::DIRECTORY_ENTRY_KIND_GROUP, "sales@example.test",
                       {"u-alice", "u-bob"}));
  }
  directory::DirectoryView view_{{"example.test"}};
  DirectoryDeliveryPlanner planner_{view_};
};

TEST_F(DeliveryPlannerTest, InboundListAndMemberFiledOncePerMailbox) {
  smtp::MailProposal mail;
  mail.rcpt_to = {"sales@example.test", "alice@example.test"};
  mail.raw = "Subject: hi\r\n\r\nbody\r\n";
  PlannedMail plan = planner_.Plan(mail, events::MAIL_SOURCE_SMTP_INBOUND);
  EXPECT_EQ(Filed(plan), (std::set<std::pair<std::string, std::string>>{{"u-alice", "Inbox"},
                                                                        {"u-bob", "Inbox"}}));
  EXPECT_FALSE(plan.replacement_raw.has_value());
}

TEST_F(DeliveryPlannerTest, InboundToNobodyLocalFilesNothing) {
  smtp::MailProposal mail;
  mail.rcpt_to = {"someone@elsewhere.test"};
  EXPECT_TRUE(planner_.Plan(mail, events::MAIL_SOURCE_SMTP_INBOUND).deliveries.empty());
}

TEST_F(DeliveryPlannerTest, BccJournalCopyFilesSentAndInbox) {
  smtp::MailProposal mail;
  mail.mail_from = "alice@example.test";
  mail.rcpt_to = {"journal@archive.example.test"};
  mail.raw =
      "From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\n"
      "Subject: numbers\r\nMessage-ID: <1@example.test>\r\n\r\nQ3 is fine.\r\n";
  PlannedMail plan = planner_.Plan(mail, events::MAIL_SOURCE_JOURNAL);
  EXPECT_EQ(Filed(plan), (std::set<std::pair<std::string, std::string>>{{"u-alice", "Sent"},
                                                                        {"u-bob", "Inbox"}}));
  EXPECT_FALSE(plan.replacement_raw.has_value());
}

TEST_F(DeliveryPlannerTest, BccJournalCopyAddressedPerRecipientFilesTheBccRecipient) {
  // recipient_bcc_maps copies (journal.h): bob only in Bcc, named by the journal address.
  smtp::MailProposal mail;
  mail.mail_from = "alice@example.test";
  mail.rcpt_to = {"journal+partner=elsewhere.test@archive.example.test",
                  "<journal+bob=example.test@archive.example.test>"};
  mail.raw =
      "From: Alice <alice@example.test>\r\nTo: <partner@elsewhere.test>\r\n"
      "Subject: offer\r\nMessage-ID: <2@example.test>\r\n\r\nSee attached.\r\n";
  PlannedMail plan = planner_.Plan(mail, events::MAIL_SOURCE_JOURNAL);
  EXPECT_EQ(Filed(plan), (std::set<std::pair<std::string, std::string>>{{"u-alice", "Sent"},
                                                                        {"u-bob", "Inbox"}}));
}

TEST_F(DeliveryPlannerTest, ExchangeJournalReportIsUnwrappedToTheOriginal) {
  const std::string original =
      "From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\n"
      "Subject: lunch\r\nMessage-ID: <2@example.test>\r\n\r\nNoon?\r\n";
  smtp::MailProposal mail;
  mail.mail_from = "journal@exchange.example.test";
  mail.rcpt_to = {"journal@archive.example.test"};
  mail.raw =
      "From: Microsoft Exchange <journal@exchange.example.test>\r\n"
      "To: journal@archive.example.test\r\nSubject: lunch\r\n"
      "X-MS-Journal-Report:\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
      "--b1\r\nContent-Type: text/plain\r\n\r\n"
      "Sender: bob@example.test\r\nSubject: lunch\r\nMessage-Id: <2@example.test>\r\n"
      "To: alice@example.test\r\n\r\n"
      "--b1\r\nContent-Type: message/rfc822\r\n\r\n" +
      original + "\r\n--b1--\r\n";
  PlannedMail plan = planner_.Plan(mail, events::MAIL_SOURCE_JOURNAL);
  EXPECT_EQ(Filed(plan), (std::set<std::pair<std::string, std::string>>{{"u-bob", "Sent"},
                                                                        {"u-alice", "Inbox"}}));
  ASSERT_TRUE(plan.replacement_raw.has_value());
  EXPECT_NE(plan.replacement_raw->find("Subject: lunch"), std::string::npos);
  EXPECT_EQ(plan.replacement_raw->find("X-MS-Journal-Report"), std::string::npos);
}

}  // namespace
}  // namespace lifeboat::smtp_driver
