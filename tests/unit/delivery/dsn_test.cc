#include "modules/delivery/dsn.h"

#include <gtest/gtest.h>

namespace lifeboat::delivery {
namespace {

DsnRequest Request() {
  DsnRequest request;
  request.reporting_host = "lifeboat.corp.test";
  request.dsn_id = "dsn-42";
  request.original_sender = "sender@example.org";
  request.arrival = WallTime{std::chrono::seconds(1'796'601'600)};  // 2026-12-07 00:00:00 UTC
  request.now = request.arrival + std::chrono::hours(1);
  request.original_content =
      "From: <sender@example.org>\r\nSubject: hi\r\nMessage-ID: <m1@example.org>\r\n\r\nbody "
      "that stays out of the DSN\r\n";
  DsnRecipient refused;
  refused.recipient = "nobody@corp.test";
  refused.smtp_code = 550;
  refused.diagnostic = "550 5.1.1 <nobody@corp.test>: Recipient address rejected";
  refused.remote_mta = "mx.corp.test";
  refused.last_attempt = request.now;
  DsnRecipient expired;
  expired.recipient = "slow@corp.test";
  expired.diagnostic = "connection closed by the server";
  expired.expired = true;
  expired.last_attempt = request.now;
  request.recipients = {refused, expired};
  return request;
}

TEST(DsnTest, BuildsAnRfc3464Report) {
  Result<DsnMessage> dsn = BuildDsn(Request());
  ASSERT_TRUE(dsn.ok()) << dsn.status().ToString();
  EXPECT_EQ(dsn->mail_from, "");
  EXPECT_EQ(dsn->rcpt_to, std::vector<std::string>{"sender@example.org"});
  EXPECT_EQ(dsn->content,
            "From: Mail Delivery System <MAILER-DAEMON@lifeboat.corp.test>\r\n"
            "To: <sender@example.org>\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "Date: Mon, 07 Dec 2026 01:00:00 +0000\r\n"
            "Message-ID: <dsn-42@lifeboat.corp.test>\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            "\tboundary=\"dsn-42/lifeboat.corp.test\"\r\n"
            "\r\n"
            "This is a MIME-encapsulated message.\r\n"
            "\r\n"
            "--dsn-42/lifeboat.corp.test\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "\r\n"
            "This is the mail system at host lifeboat.corp.test.\r\n"
            "\r\n"
            "Your message could not be delivered to one or more recipients.\r\n"
            "\r\n"
            "<nobody@corp.test>: was refused\r\n"
            "    550 5.1.1 <nobody@corp.test>: Recipient address rejected\r\n"
            "<slow@corp.test>: could not be delivered in time\r\n"
            "    connection closed by the server\r\n"
            "\r\n"
            "--dsn-42/lifeboat.corp.test\r\n"
            "Content-Type: message/delivery-status\r\n"
            "\r\n"
            "Reporting-MTA: dns; lifeboat.corp.test\r\n"
            "Arrival-Date: Mon, 07 Dec 2026 00:00:00 +0000\r\n"
            "\r\n"
            "Final-Recipient: rfc822; nobody@corp.test\r\n"
            "Action: failed\r\n"
            "Status: 5.1.1\r\n"
            "Remote-MTA: dns; mx.corp.test\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <nobody@corp.test>: Recipient address rejected\r\n"
            "Last-Attempt-Date: Mon, 07 Dec 2026 01:00:00 +0000\r\n"
            "\r\n"
            "Final-Recipient: rfc822; slow@corp.test\r\n"
            "Action: failed\r\n"
            "Status: 5.4.7\r\n"
            "Last-Attempt-Date: Mon, 07 Dec 2026 01:00:00 +0000\r\n"
            "\r\n"
            "--dsn-42/lifeboat.corp.test\r\n"
            "Content-Type: text/rfc822-headers\r\n"
            "\r\n"
            "From: <sender@example.org>\r\n"
            "Subject: hi\r\n"
            "Message-ID: <m1@example.org>\r\n"
            "\r\n"
            "--dsn-42/lifeboat.corp.test--\r\n");
}

TEST(DsnTest, StatusFromTheReplyOrItsClass) {
  DsnRecipient recipient;
  recipient.diagnostic = "554 5.7.1 rejected";
  EXPECT_EQ(DsnStatus(recipient), "5.7.1");
  recipient.diagnostic = "550 mailbox unavailable";
  EXPECT_EQ(DsnStatus(recipient), "5.0.0");
  recipient.diagnostic = "550 5.1.10 detail of two digits";
  EXPECT_EQ(DsnStatus(recipient), "5.1.10");
  recipient.diagnostic = "550 5.1.1000 four digits";  // RFC 3463 2: three digits at most
  EXPECT_EQ(DsnStatus(recipient), "5.0.0");
  recipient.diagnostic = "450 4.2.0 a temporary code";  // never a 4.x.x in a failed report
  EXPECT_EQ(DsnStatus(recipient), "5.0.0");
  recipient.expired = true;
  EXPECT_EQ(DsnStatus(recipient), "5.4.7");
}

TEST(DsnTest, NeverForTheNullSenderAndNoHeaderInjection) {
  DsnRequest request = Request();
  request.original_sender = "";
  EXPECT_EQ(BuildDsn(request).status().code(), StatusCode::kFailedPrecondition);
  request = Request();
  request.original_sender = "a@b\r\nBcc: victim@example.org";
  EXPECT_EQ(BuildDsn(request).status().code(), StatusCode::kInvalidArgument);
  request = Request();
  request.recipients[0].diagnostic = "550 x\r\nInjected: yes";
  EXPECT_EQ(BuildDsn(request).status().code(), StatusCode::kInvalidArgument);
  request = Request();
  request.recipients.clear();
  EXPECT_EQ(BuildDsn(request).status().code(), StatusCode::kInvalidArgument);
}

TEST(DsnTest, ReturnsAtMostTheHeaderLimit) {
  DsnRequest request = Request();
  request.original_content.clear();
  for (int i = 0; i < 10'000; ++i) request.original_content += "X-Filler: 0123456789\r\n";
  Result<DsnMessage> dsn = BuildDsn(request);
  ASSERT_TRUE(dsn.ok());
  EXPECT_LT(dsn->content.size(), kDsnOriginalHeadersBytesMax + 4096);
  EXPECT_TRUE(
      dsn->content.ends_with("X-Filler: 0123456789\r\n\r\n--dsn-42/lifeboat.corp.test--\r\n"));
}

}  // namespace
}  // namespace lifeboat::delivery
