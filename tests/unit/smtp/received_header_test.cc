#include "modules/smtp/received_header.h"

#include <gtest/gtest.h>

namespace lifeboat::smtp {
namespace {

TEST(ReceivedHeaderTest, DateIsRfc5322InUtc) {
  EXPECT_EQ(FormatRfc5322Date(WallTime(0)), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(FormatRfc5322Date(std::chrono::seconds(1'795'892'400) + std::chrono::seconds(3661)),
            "Sat, 28 Nov 2026 20:01:01 +0000");
  EXPECT_EQ(FormatRfc5322Date(std::chrono::seconds(951'782'400)),  // leap day
            "Tue, 29 Feb 2000 00:00:00 +0000");
}

TEST(ReceivedHeaderTest, NamesPeerProtocolTlsAndSingleRecipient) {
  TraceFacts facts;
  facts.helo = "client.example.org";
  facts.peer_ip = "2001:db8::7";
  facts.hostname = "mx.example.com";
  facts.esmtp = true;
  facts.tls_version = "TLSv1.3";
  facts.tls_cipher = "TLS_AES_128_GCM_SHA256";
  facts.single_recipient = "alice@example.com";
  facts.when = WallTime(0);
  EXPECT_EQ(FormatReceivedHeader(facts),
            "Received: from client.example.org ([IPv6:2001:db8::7])\r\n"
            "\tby mx.example.com (Lifeboat) with ESMTPS (TLSv1.3 with cipher "
            "TLS_AES_128_GCM_SHA256)\r\n"
            "\tfor <alice@example.com>; Thu, 01 Jan 1970 00:00:00 +0000\r\n");
}

TEST(ReceivedHeaderTest, ProtocolNames) {
  TraceFacts facts;
  facts.helo = "h";
  facts.peer_ip = "192.0.2.1";
  facts.hostname = "mx";
  EXPECT_NE(FormatReceivedHeader(facts).find(" with SMTP;"), std::string::npos);
  facts.esmtp = true;
  EXPECT_NE(FormatReceivedHeader(facts).find(" with ESMTP;"), std::string::npos);
  facts.smtputf8 = true;
  EXPECT_NE(FormatReceivedHeader(facts).find(" with UTF8SMTP;"), std::string::npos);
}

}  // namespace
}  // namespace lifeboat::smtp
