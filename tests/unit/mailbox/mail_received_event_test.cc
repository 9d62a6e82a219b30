// The MailReceived event of an accepted message: every accepted field carried over, the SHA-256
// of the stored bytes, the deliveries in plan order, a journal report replaced by its original.
#include "modules/mailbox/mail_received_event.h"

#include <gtest/gtest.h>

#include <string>

namespace lifeboat::mailbox {
namespace {

AcceptedMail Accepted() {
  AcceptedMail mail;
  mail.mail_id = "m-1";
  mail.mail_from = "alice@example.test";
  mail.rcpt_to = {"bob@example.test", "carol@example.test"};
  mail.raw = "abc";
  mail.helo = "mx.example.test";
  mail.peer_address = "192.0.2.1:25000";
  mail.tls_version = "TLSv1.3";
  mail.tls_cipher = "TLS_AES_128_GCM_SHA256";
  mail.source = events::MAIL_SOURCE_SMTP_INBOUND;
  mail.smtputf8 = true;
  mail.body_8bitmime = true;
  return mail;
}

events::MailDelivery Delivery(const std::string& mailbox_id, const std::string& folder) {
  events::MailDelivery delivery;
  delivery.set_mailbox_id(mailbox_id);
  delivery.set_folder(folder);
  return delivery;
}

// FIPS 180-2 appendix B.1: SHA-256("abc").
constexpr char kSha256OfAbc[] =
    "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
    "\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad";

TEST(MailReceivedEventTest, CarriesTheAcceptedMailTheDigestAndThePlan) {
  FilingPlan plan;
  plan.deliveries = {Delivery("bob", "Inbox"), Delivery("carol", "Inbox")};
  events::Event event = BuildMailReceivedEvent(Accepted(), plan);
  ASSERT_TRUE(event.has_mail_received());
  const events::MailReceived& received = event.mail_received();
  EXPECT_EQ(received.mail_id(), "m-1");
  EXPECT_EQ(received.mail_from(), "alice@example.test");
  ASSERT_EQ(received.rcpt_to_size(), 2);
  EXPECT_EQ(received.rcpt_to(1), "carol@example.test");
  EXPECT_EQ(received.raw(), "abc");
  EXPECT_EQ(received.body_sha256(), std::string(kSha256OfAbc, 32));
  EXPECT_EQ(received.helo(), "mx.example.test");
  EXPECT_EQ(received.peer_address(), "192.0.2.1:25000");
  EXPECT_EQ(received.tls_version(), "TLSv1.3");
  EXPECT_EQ(received.tls_cipher(), "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(received.source(), events::MAIL_SOURCE_SMTP_INBOUND);
  EXPECT_TRUE(received.smtputf8());
  EXPECT_TRUE(received.body_8bitmime());
  ASSERT_EQ(received.deliveries_size(), 2);
  EXPECT_EQ(received.deliveries(0).mailbox_id(), "bob");
  EXPECT_EQ(received.deliveries(1).mailbox_id(), "carol");
}

TEST(MailReceivedEventTest, AJournalReportIsStoredAndHashedAsTheOriginalItCarries) {
  AcceptedMail report = Accepted();
  report.raw = "the envelope report wrapping the original";
  report.source = events::MAIL_SOURCE_JOURNAL;
  FilingPlan plan;
  plan.replacement_raw = "abc";  // the original message
  plan.deliveries = {Delivery("alice", "Sent")};
  const events::MailReceived received = BuildMailReceivedEvent(report, plan).mail_received();
  EXPECT_EQ(received.raw(), "abc");
  EXPECT_EQ(received.body_sha256(), std::string(kSha256OfAbc, 32));
  EXPECT_EQ(received.source(), events::MAIL_SOURCE_JOURNAL);
  ASSERT_EQ(received.deliveries_size(), 1);
  EXPECT_EQ(received.deliveries(0).folder(), "Sent");
}

TEST(MailReceivedEventTest, NoDeliveriesStillMakesTheEventForTheDeliveryEngine) {
  const events::MailReceived received = BuildMailReceivedEvent(Accepted(), {}).mail_received();
  EXPECT_EQ(received.deliveries_size(), 0);
  EXPECT_EQ(received.body_sha256().size(), 32u);
}

}  // namespace
}  // namespace lifeboat::mailbox
