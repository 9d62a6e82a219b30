// Journal intake: Exchange envelope reports (file the attached original, byte for byte) and
// Postfix bcc copies, with a fixed directory standing in for the resolver.
#include "modules/mailbox/journal.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace lifeboat::mailbox {
namespace {

// alice, bob and carol are local; sales@ is a list of bob and carol; the rest is outside.
AddressResolution Resolve(std::string_view address) {
  static const std::map<std::string, AddressResolution> kDirectory = {
      {"alice@contoso.com", {false, {"id-alice"}}},
      {"bob@contoso.com", {false, {"id-bob"}}},
      {"carol@contoso.com", {false, {"id-carol"}}},
      {"sales@contoso.com", {true, {"id-bob", "id-carol"}}},
  };
  std::string lower(address);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto found = kDirectory.find(lower);
  return found == kDirectory.end() ? AddressResolution{} : found->second;
}

std::vector<std::pair<std::string, std::string>> Targets(const JournalIntake& intake) {
  std::vector<std::pair<std::string, std::string>> targets;
  for (const events::MailDelivery& delivery : intake.deliveries) {
    targets.emplace_back(delivery.mailbox_id(), delivery.folder());
  }
  return targets;
}

const std::string kOriginal =
    "From: Alice <alice@contoso.com>\r\n"
    "To: partner@fabrikam.com, sales@contoso.com\r\n"
    "Subject: Offer\r\n"
    "Message-ID: <offer.1@contoso.com>\r\n"
    "Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Our offer.  \r\n"
    "--inner--\r\n";

std::string ExchangeReport(const std::string& envelope, const std::string& original) {
  return "From: Microsoft Exchange <journal@contoso.com>\r\n"
         "To: lifeboat-journal@contoso.com\r\n"
         "Subject: Offer\r\n"
         "X-MS-Journal-Report:\r\n"
         "Content-Type: multipart/mixed; boundary=\"_journal_boundary_\"\r\n"
         "\r\n"
         "--_journal_boundary_\r\n"
         "Content-Type: text/plain; charset=\"us-ascii\"\r\n"
         "Content-Transfer-Encoding: 7bit\r\n"
         "\r\n" +
         envelope +
         "\r\n--_journal_boundary_\r\n"
         "Content-Type: message/rfc822\r\n"
         "\r\n" +
         original + "\r\n--_journal_boundary_--\r\n";
}

TEST(JournalTest, JournalRecipientsDecodeLikeVerpAddresses) {
  EXPECT_EQ(DecodeJournalRecipient("journal+bob=example.com@lifeboat.example"), "bob@example.com");
  EXPECT_EQ(DecodeJournalRecipient("<journal+bob=example.com@lifeboat.example>"),
            "bob@example.com");
  // The first '+' starts the original; its last '=' was its '@'.
  EXPECT_EQ(DecodeJournalRecipient("journal+bob+tag=example.com@x"), "bob+tag@example.com");
  EXPECT_EQ(DecodeJournalRecipient("journal+a=b=example.com@x"), "a=b@example.com");
  for (const char* plain : {"journal@lifeboat.example", "journal+bob@x", "journal+=example.com@x",
                            "journal+bob=@x", "no-at-sign+bob=example.com"}) {
    EXPECT_EQ(DecodeJournalRecipient(plain), std::nullopt) << plain;
  }
}

TEST(JournalTest, ExchangeReportFilesTheOriginalExactly) {
  std::string envelope =
      "Sender: alice@contoso.com\r\n"
      "Subject: Offer\r\n"
      "Message-Id: <offer.1@contoso.com>\r\n"
      "To: partner@fabrikam.com\r\n"
      "To: bob@contoso.com, Expanded: sales@contoso.com\r\n"
      "To: carol@contoso.com, Expanded: sales@contoso.com\r\n"
      "Bcc: Carol@Contoso.com\r\n";
  JournalIntake intake = IntakeJournalMessage(ExchangeReport(envelope, kOriginal),
                                              JournalFormat::kExchangeEnvelopeReport, Resolve);
  EXPECT_EQ(intake.format, JournalFormat::kExchangeEnvelopeReport);
  EXPECT_EQ(intake.original, kOriginal);
  EXPECT_TRUE(intake.original_exact);
  EXPECT_EQ(intake.sender, "alice@contoso.com");
  EXPECT_EQ(intake.recipients, (std::vector<std::string>{"partner@fabrikam.com", "bob@contoso.com",
                                                         "carol@contoso.com"}));
  EXPECT_EQ(Targets(intake),
            (std::vector<std::pair<std::string, std::string>>{
                {"id-alice", "Sent"}, {"id-bob", "Inbox"}, {"id-carol", "Inbox"}}));
  EXPECT_TRUE(intake.problems.empty());
}

TEST(JournalTest, ExchangeReportWithBareLineEndingsAndRecipientLines) {
  std::string envelope = "Sender: partner@fabrikam.com\nRecipient: bob@contoso.com\n";
  std::string report = ExchangeReport(envelope, kOriginal);
  std::string bare;
  for (char c : report) {
    if (c != '\r') bare.push_back(c);
  }
  std::string original_bare;
  for (char c : kOriginal) {
    if (c != '\r') original_bare.push_back(c);
  }
  JournalIntake intake =
      IntakeJournalMessage(bare, JournalFormat::kExchangeEnvelopeReport, Resolve);
  EXPECT_EQ(intake.original, original_bare);
  EXPECT_EQ(Targets(intake),
            (std::vector<std::pair<std::string, std::string>>{{"id-bob", "Inbox"}}));
}

TEST(JournalTest, Exchange2003RecipientsListIsSplitAndUnfolded) {
  std::string envelope =
      "Sender: bob@contoso.com\r\n"
      "Message-ID: <x@y>\r\n"
      "Recipients: alice@contoso.com, outsider@example.org,\r\n"
      " carol@contoso.com\r\n";
  JournalIntake intake = IntakeJournalMessage(ExchangeReport(envelope, kOriginal),
                                              JournalFormat::kExchangeEnvelopeReport, Resolve);
  EXPECT_EQ(Targets(intake),
            (std::vector<std::pair<std::string, std::string>>{
                {"id-bob", "Sent"}, {"id-alice", "Inbox"}, {"id-carol", "Inbox"}}));
}

TEST(JournalTest, Base64EnvelopePartIsDecoded) {
  // "Sender: bob@contoso.com\r\nTo: alice@contoso.com\r\n" in base64, as Exchange Online may send.
  std::string report =
      "From: journal@contoso.com\r\nContent-Type: multipart/mixed; boundary=J\r\n\r\n"
      "--J\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "U2VuZGVyOiBib2JAY29udG9zby5jb20NClRvOiBhbGljZUBjb250b3NvLmNvbQ0K\r\n"
      "--J\r\nContent-Type: message/rfc822\r\n\r\n" +
      kOriginal + "\r\n--J--\r\n";
  JournalIntake intake =
      IntakeJournalMessage(report, JournalFormat::kExchangeEnvelopeReport, Resolve);
  EXPECT_EQ(intake.original, kOriginal);
  EXPECT_EQ(Targets(intake), (std::vector<std::pair<std::string, std::string>>{
                                 {"id-bob", "Sent"}, {"id-alice", "Inbox"}}));
}

TEST(JournalTest, EncodedAttachedOriginalIsDecodedAndSaysSo) {
  // RFC 2046 5.2.1 forbids encoding message/rfc822, but some gateways do it.
  std::string report =
      "From: journal@contoso.com\r\nContent-Type: multipart/mixed; boundary=J\r\n\r\n"
      "--J\r\nContent-Type: text/plain\r\n\r\nSender: alice@contoso.com\r\n"
      "--J\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      // "From: alice@contoso.com\r\nSubject: enc\r\n\r\nhi\r\n"
      "RnJvbTogYWxpY2VAY29udG9zby5jb20NClN1YmplY3Q6IGVuYw0KDQpoaQ0K\r\n"
      "--J--\r\n";
  JournalIntake intake =
      IntakeJournalMessage(report, JournalFormat::kExchangeEnvelopeReport, Resolve);
  EXPECT_EQ(intake.format, JournalFormat::kExchangeEnvelopeReport);
  EXPECT_EQ(intake.original, "From: alice@contoso.com\r\nSubject: enc\r\n\r\nhi\r\n");
  EXPECT_EQ(intake.problems.size(), 1u);
  EXPECT_EQ(Targets(intake),
            (std::vector<std::pair<std::string, std::string>>{{"id-alice", "Sent"}}));
}

TEST(JournalTest, ReportWithoutAttachedOriginalIsFiledAsItself) {
  std::string not_a_report =
      "From: postmaster@contoso.com\r\nTo: bob@contoso.com\r\nSubject: bounce\r\n\r\nhi\r\n";
  JournalIntake intake =
      IntakeJournalMessage(not_a_report, JournalFormat::kExchangeEnvelopeReport, Resolve);
  EXPECT_EQ(intake.format, JournalFormat::kBccCopy);
  EXPECT_EQ(intake.original, not_a_report);
  EXPECT_FALSE(intake.problems.empty());
  EXPECT_EQ(Targets(intake),
            (std::vector<std::pair<std::string, std::string>>{{"id-bob", "Inbox"}}));
}

TEST(JournalTest, BccCopyUsesHeadersAndExpandsLists) {
  JournalIntake intake = IntakeJournalMessage(kOriginal, JournalFormat::kBccCopy, Resolve);
  EXPECT_EQ(intake.original, kOriginal);
  EXPECT_EQ(intake.sender, "alice@contoso.com");
  EXPECT_EQ(Targets(intake),
            (std::vector<std::pair<std::string, std::string>>{
                {"id-alice", "Sent"}, {"id-bob", "Inbox"}, {"id-carol", "Inbox"}}));
}

TEST(JournalTest, BccCopyAddsTheOriginalEnvelope) {
  std::string inbound =
      "From: partner@fabrikam.com\r\nTo: bob@contoso.com\r\nSubject: hi\r\n\r\nx\r\n";
  OriginalEnvelope envelope{"<partner@fabrikam.com>", {"<bob@contoso.com>", "alice@contoso.com"}};
  JournalIntake intake = IntakeJournalMessage(inbound, JournalFormat::kBccCopy, Resolve, &envelope);
  EXPECT_EQ(intake.sender, "partner@fabrikam.com");
  // alice was a Bcc recipient: only the envelope knows her.
  EXPECT_EQ(Targets(intake), (std::vector<std::pair<std::string, std::string>>{
                                 {"id-bob", "Inbox"}, {"id-alice", "Inbox"}}));
}

TEST(JournalTest, ListAsSenderFillsNobodysSentFolder) {
  std::string from_list = "From: sales@contoso.com\r\nTo: partner@fabrikam.com\r\n\r\nx\r\n";
  JournalIntake intake = IntakeJournalMessage(from_list, JournalFormat::kBccCopy, Resolve);
  EXPECT_TRUE(intake.deliveries.empty());
}

}  // namespace
}  // namespace lifeboat::mailbox
