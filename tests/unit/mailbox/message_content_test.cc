// The text and attachments the webmail serves (message_content.h), and the message it writes
// (outgoing_message.h): attachment indexes agree with the parser's list, and what is written
// parses back to what was meant.
#include "modules/mailbox/message_content.h"

#include <gtest/gtest.h>

#include "modules/mailbox/message_parser.h"
#include "modules/mailbox/outgoing_message.h"

namespace lifeboat::mailbox {
namespace {

// A forwarded message, a nested multipart and an inline image between the attachments.
std::string NestedMail() {
  return "From: a@example.com\r\nTo: b@example.com\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
         "--outer\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n"
         "--alt\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 ready\r\n"
         "--alt\r\nContent-Type: text/html\r\n\r\n<p>Caf&eacute;</p>\r\n--alt--\r\n"
         "--outer\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
         "iVBORw0K\r\n"
         "--outer\r\nContent-Type: message/rfc822\r\n\r\n"
         "From: c@example.com\r\nSubject: inner\r\n\r\ninner body\r\n"
         "--outer\r\nContent-Type: application/pdf; name=\"r\xC3\xA9sum\xC3\xA9.pdf\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--outer--\r\n";
}

TEST(MessageContentTest, TextIsTheFirstPlainPartDecodedToUtf8) {
  MessageText text = ReadMessageText(NestedMail());
  EXPECT_TRUE(text.text.starts_with("Caf\xC3\xA9 ready")) << text.text;
  EXPECT_TRUE(text.has_html);
  EXPECT_FALSE(text.truncated);
  EXPECT_EQ(ReadMessageText("not a message at all").text, "");
}

TEST(MessageContentTest, AttachmentIndexesAreTheParsersList) {
  std::string raw = NestedMail();
  MessageMetadata metadata = ParseMessageMetadata(raw, 0);
  ASSERT_EQ(metadata.attachments_size(), 3);
  for (int i = 0; i < metadata.attachments_size(); ++i) {
    Result<AttachmentContent> content = ReadAttachment(raw, static_cast<size_t>(i));
    ASSERT_TRUE(content.ok()) << i;
    EXPECT_EQ(content->name, metadata.attachments(i).name()) << i;
    EXPECT_EQ(content->content_type, metadata.attachments(i).content_type()) << i;
  }
  EXPECT_EQ(ReadAttachment(raw, 0)->bytes, std::string("\x89PNG\r\n", 6));
  EXPECT_NE(ReadAttachment(raw, 1)->bytes.find("inner body"), std::string::npos);
  EXPECT_EQ(ReadAttachment(raw, 2)->bytes, "%PDF-");
  EXPECT_EQ(ReadAttachment(raw, 3).status().code(), StatusCode::kNotFound);
}

TEST(OutgoingMessageTest, WhatIsWrittenParsesBack) {
  OutgoingMessage message;
  message.from = {"Alice Martin", "alice@example.com"};
  message.to = {{"", "bob@example.com"}};
  message.cc = {{"", "carol@example.net"}};
  message.subject = "R\xC3\xA9union demain";
  message.text = "\xC3\x80 demain.\n";
  message.message_id = "web-1@example.com";
  message.in_reply_to = "parent@example.com";
  message.date_unix_seconds = 1'700'000'000;
  message.attachments = {{"plan d\xC3\xA9taill\xC3\xA9.bin", "application/x-thing", "\x01\x02"},
                         {"x", "not a type", "abc"}};
  std::string raw = WriteOutgoingMessage(message);
  EXPECT_NE(raw.find("\r\n"), std::string::npos);
  EXPECT_EQ(raw.find("\n\n"), std::string::npos);  // CRLF everywhere
  for (unsigned char c : raw) ASSERT_LT(c, 0x80) << "7-bit only";
  MessageMetadata metadata = ParseMessageMetadata(raw, 0);
  EXPECT_TRUE(metadata.problems().empty()) << metadata.problems(0);
  EXPECT_EQ(metadata.subject(), message.subject);
  EXPECT_EQ(metadata.from(0).name(), "Alice Martin");
  EXPECT_EQ(metadata.from(0).address(), "alice@example.com");
  EXPECT_EQ(metadata.to(0).address(), "bob@example.com");
  EXPECT_EQ(metadata.cc(0).address(), "carol@example.net");
  EXPECT_EQ(metadata.message_id(), "web-1@example.com");
  EXPECT_EQ(metadata.in_reply_to(), "parent@example.com");
  EXPECT_EQ(metadata.date_unix_seconds(), 1'700'000'000);
  ASSERT_EQ(metadata.attachments_size(), 2);
  EXPECT_EQ(metadata.attachments(0).name(), "plan d\xC3\xA9taill\xC3\xA9.bin");
  EXPECT_EQ(metadata.attachments(0).content_type(), "application/x-thing");
  EXPECT_EQ(metadata.attachments(1).content_type(), "application/octet-stream");
  EXPECT_TRUE(ReadMessageText(raw).text.starts_with("\xC3\x80 demain.")) << raw;
  EXPECT_EQ(ReadAttachment(raw, 0)->bytes, "\x01\x02");
}

}  // namespace
}  // namespace lifeboat::mailbox
