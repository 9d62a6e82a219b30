// The metadata parser on real-world-shaped mail: encoded subjects, multipart with attachments,
// forwarded messages, and the broken and hostile input every gateway sees.
#include "modules/mailbox/message_parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "modules/mailbox/preview_text.h"

namespace lifeboat::mailbox {
namespace {

constexpr int64_t kFallback = 1'700'000'000;

bool HasProblemContaining(const MessageMetadata& metadata, std::string_view text) {
  for (const std::string& problem : metadata.problems()) {
    if (problem.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(MessageParserTest, ReadsPlainMessageHeadersAndPreview) {
  std::string raw =
      "From: \"Alice Example\" <alice@example.com>\r\n"
      "To: Bob <bob@example.org>, carol@example.org\r\n"
      "Cc: Dave <dave@example.net>\r\n"
      "Subject: Quarterly numbers\r\n"
      "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
      "Message-ID: <abc.123@mail.example.com>\r\n"
      "In-Reply-To: <parent.1@mail.example.com> <other@x>\r\n"
      "Content-Type: text/plain; charset=us-ascii\r\n"
      "\r\n"
      "Hi Bob,\r\n\r\n   the numbers\tare in.\r\n";
  MessageMetadata metadata = ParseMessageMetadata(raw, kFallback);
  ASSERT_EQ(metadata.from_size(), 1);
  EXPECT_EQ(metadata.from(0).name(), "Alice Example");
  EXPECT_EQ(metadata.from(0).address(), "alice@example.com");
  ASSERT_EQ(metadata.to_size(), 2);
  EXPECT_EQ(metadata.to(0).name(), "Bob");
  EXPECT_EQ(metadata.to(0).address(), "bob@example.org");
  EXPECT_EQ(metadata.to(1).address(), "carol@example.org");
  ASSERT_EQ(metadata.cc_size(), 1);
  EXPECT_EQ(metadata.cc(0).address(), "dave@example.net");
  EXPECT_EQ(metadata.subject(), "Quarterly numbers");
  EXPECT_EQ(metadata.date_unix_seconds(), 1'700'000'000);
  EXPECT_TRUE(metadata.date_from_header());
  EXPECT_EQ(metadata.message_id(), "abc.123@mail.example.com");
  EXPECT_EQ(metadata.in_reply_to(), "parent.1@mail.example.com");
  EXPECT_EQ(metadata.preview(), "Hi Bob, the numbers are in.");
  EXPECT_FALSE(metadata.has_attachments());
  EXPECT_EQ(metadata.size_bytes(), raw.size());
  EXPECT_TRUE(metadata.problems().empty());
}

TEST(MessageParserTest, DecodesRfc2047SubjectsInEveryCommonShape) {
  struct Case {
    const char* header;
    const char* expected;
  } cases[] = {
      {"=?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=", "Grüße aus München"},
      {"=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=", "Grüße aus München"},
      {"=?ISO-8859-1?Q?Caf=E9_cr=E8me?=", "Café crème"},
      {"=?iso-8859-1?b?Q2Fm6SBjcuhtZQ==?=", "Café crème"},
      // RFC 2047 6.2: whitespace between adjacent encoded-words is dropped.
      {"=?UTF-8?Q?R=C3=A9union?= =?UTF-8?Q?_demain?=", "Réunion demain"},
      {"Re: =?UTF-8?B?5pel5pys6Kqe?= test", "Re: 日本語 test"},
  };
  for (const Case& c : cases) {
    std::string raw = std::string("From: a@example.com\r\nSubject: ") + c.header +
                      "\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\nbody\r\n";
    EXPECT_EQ(ParseMessageMetadata(raw, kFallback).subject(), c.expected) << c.header;
  }
}

TEST(MessageParserTest, DecodesEncodedDisplayNames) {
  std::string raw =
      "From: =?ISO-8859-1?Q?Andr=E9_Dupr=E9?= <andre@example.fr>\r\n"
      "To: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>\r\n\r\nx\r\n";
  MessageMetadata metadata = ParseMessageMetadata(raw, kFallback);
  ASSERT_EQ(metadata.from_size(), 1);
  EXPECT_EQ(metadata.from(0).name(), "André Dupré");
  ASSERT_EQ(metadata.to_size(), 1);
  EXPECT_EQ(metadata.to(0).name(), "山田");
}

TEST(MessageParserTest, ListsAttachmentsWithRfc2231AndRfc2047Names) {
  std::string raw =
      "From: a@example.com\r\n"
      "To: b@example.com\r\n"
      "Subject: files\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
      "\r\n"
      "This is a multi-part message in MIME format.\r\n"
      "--outer\r\n"
      "Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
      "\r\n"
      "--alt\r\n"
      "Content-Type: text/plain; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "Voil=E0 les fichiers.\r\n"
      "--alt\r\n"
      "Content-Type: text/html; charset=utf-8\r\n"
      "\r\n"
      "<p>Voil&agrave; les fichiers.</p>\r\n"
      "--alt--\r\n"
      "--outer\r\n"
      "Content-Type: application/pdf\r\n"
      "Content-Disposition: attachment; filename*=UTF-8''Bericht%20f%C3%BCr%20Q3.pdf\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "SGVsbG8gUERGIQ==\r\n"
      "--outer\r\n"
      "Content-Type: image/png; name=\"=?UTF-8?Q?gr=C3=A4fik.png?=\"\r\n"
      "Content-Disposition: attachment\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "iVBORw0KGgo=\r\n"
      "--outer--\r\n";
  MessageMetadata metadata = ParseMessageMetadata(raw, kFallback);
  EXPECT_EQ(metadata.preview(), "Voilà les fichiers.");
  ASSERT_EQ(metadata.attachments_size(), 2);
  EXPECT_EQ(metadata.attachments(0).name(), "Bericht für Q3.pdf");
  EXPECT_EQ(metadata.attachments(0).content_type(), "application/pdf");
  EXPECT_EQ(metadata.attachments(0).decoded_bytes(), 10u);  // "Hello PDF!"
  EXPECT_EQ(metadata.attachments(1).name(), "gräfik.png");
  EXPECT_EQ(metadata.attachments(1).content_type(), "image/png");
  EXPECT_EQ(metadata.attachments(1).decoded_bytes(), 8u);
  EXPECT_TRUE(metadata.has_attachments());
}

TEST(MessageParserTest, HtmlOnlyMessageGetsAStrippedPreview) {
  std::string raw =
      "From: news@example.com\r\n"
      "Content-Type: text/html; charset=utf-8\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      std::string(
          // "<html><head><style>p{color:red}</style></head><body><p>Hello&nbsp;&amp; welcome</p>
          //  <script>alert(1)</script><div>to   the list</div></body></html>"
          "PGh0bWw+PGhlYWQ+PHN0eWxlPnB7Y29sb3I6cmVkfTwvc3R5bGU+PC9oZWFkPjxib2R5PjxwPkhl\r\n"
          "bGxvJm5ic3A7JmFtcDsgd2VsY29tZTwvcD48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PGRpdj50\r\n"
          "byAgIHRoZSBsaXN0PC9kaXY+PC9ib2R5PjwvaHRtbD4=\r\n");
  MessageMetadata metadata = ParseMessageMetadata(raw, kFallback);
  EXPECT_EQ(metadata.preview(), "Hello & welcome to the list");
  EXPECT_FALSE(metadata.has_attachments());
}

TEST(MessageParserTest, PreviewStopsAtTwoHundredCharacters) {
  std::string body;
  for (int i = 0; i < 300; ++i) body += "é";
  std::string raw = "From: a@b.c\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
  MessageMetadata metadata = ParseMessageMetadata(raw, kFallback);
  EXPECT_EQ(metadata.preview().size(), 400u);  // 200 two-byte characters
}

TEST(MessageParserTest, ForwardedMessageIsOneAttachmentNamedAfterItsSubject) {
  std::string raw =
      "From: a@example.com\r\n"
      "Subject: Fwd: contract\r\n"
      "Content-Type: multipart/mixed; boundary=b1\r\n\r\n"
      "--b1\r\n"
      "Content-Type: text/plain\r\n\r\n"
      "See below.\r\n"
      "--b1\r\n"
      "Content-Type: message/rfc822\r\n\r\n"
      "From: lawyer@example.net\r\n"
      "Subject: contract\r\n"
      "Content-Type: multipart/mixed; boundary=b2\r\n\r\n"
      "--b2\r\n"
      "Content-Type: text/plain\r\n\r\n"
      "Inner text.\r\n"
      "--b2\r\n"
      "Content-Type: application/pdf; name=contract.pdf\r\n\r\n"
      "PDF\r\n"
      "--b2--\r\n"
      "--b1--\r\n";
  MessageMetadata metadata = ParseMessageMetadata(raw, kFallback);
  EXPECT_EQ(metadata.preview(), "See below.");
  ASSERT_EQ(metadata.attachments_size(), 1);
  EXPECT_EQ(metadata.attachments(0).name(), "contract.eml");
  EXPECT_EQ(metadata.attachments(0).content_type(), "message/rfc822");
  EXPECT_GT(metadata.attachments(0).decoded_bytes(), 100u);
  ASSERT_EQ(metadata.from_size(), 1);
  EXPECT_EQ(metadata.from(0).address(), "a@example.com");
}

TEST(MessageParserTest, MissingHeadersYieldEmptyFieldsAndTheFallbackDate) {
  MessageMetadata metadata = ParseMessageMetadata("\r\njust a body\r\n", kFallback);
  EXPECT_TRUE(metadata.from().empty());
  EXPECT_TRUE(metadata.subject().empty());
  EXPECT_TRUE(metadata.message_id().empty());
  EXPECT_EQ(metadata.date_unix_seconds(), kFallback);
  EXPECT_FALSE(metadata.date_from_header());
  EXPECT_EQ(metadata.preview(), "just a body");
  EXPECT_TRUE(HasProblemContaining(metadata, "no Date header"));
  EXPECT_TRUE(HasProblemContaining(metadata, "no From address"));
}

TEST(MessageParserTest, BadDateFallsBackToTheEventTime) {
  MessageMetadata metadata =
      ParseMessageMetadata("From: a@b.c\r\nDate: the day after tomorrow\r\n\r\nx\r\n", kFallback);
  EXPECT_EQ(metadata.date_unix_seconds(), kFallback);
  EXPECT_FALSE(metadata.date_from_header());
  EXPECT_TRUE(HasProblemContaining(metadata, "unparseable Date"));
}

TEST(MessageParserTest, EmptyAndBinaryInputNeverFail) {
  MessageMetadata empty = ParseMessageMetadata("", kFallback);
  EXPECT_EQ(empty.date_unix_seconds(), kFallback);
  EXPECT_FALSE(empty.date_from_header());
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 7919) & 0xff));
  MessageMetadata binary = ParseMessageMetadata(junk, kFallback);
  EXPECT_EQ(binary.size_bytes(), junk.size());
  EXPECT_EQ(binary.date_unix_seconds(), kFallback);
}

TEST(MessageParserTest, BrokenMimeKeepsWhatCanBeRead) {
  // Declared multipart with no boundary, then an unterminated one with a bogus base64 part.
  std::string no_boundary =
      "From: a@example.com\r\nSubject: broken\r\nContent-Type: multipart/mixed\r\n\r\nhello\r\n";
  MessageMetadata first = ParseMessageMetadata(no_boundary, kFallback);
  EXPECT_EQ(first.subject(), "broken");
  std::string unterminated =
      "From: a@example.com\r\nSubject: cut\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
      "--zz\r\nContent-Type: text/plain\r\n\r\nstill here\r\n"
      "--zz\r\nContent-Type: application/zip; name=a.zip\r\nContent-Transfer-Encoding: base64\r\n"
      "\r\n!!!not base64@@@";
  MessageMetadata second = ParseMessageMetadata(unterminated, kFallback);
  EXPECT_EQ(second.subject(), "cut");
  EXPECT_EQ(second.preview(), "still here");
  ASSERT_EQ(second.attachments_size(), 1);
  EXPECT_EQ(second.attachments(0).name(), "a.zip");
}

TEST(MessageParserTest, UndeclaredEightBitHeadersBecomeValidUtf8) {
  std::string raw = "From: a@b.c\r\nSubject: Caf\xe9 \xff\xfe\r\n\r\nx\r\n";
  MessageMetadata metadata = ParseMessageMetadata(raw, kFallback);
  EXPECT_FALSE(metadata.subject().empty());
  EXPECT_TRUE(metadata.subject().starts_with("Caf"));
  // Serializing a proto3 string with invalid UTF-8 would fail; this must round-trip.
  MessageMetadata copy;
  ASSERT_TRUE(copy.ParseFromString(metadata.SerializeAsString()));
  EXPECT_EQ(copy.subject(), metadata.subject());
}

TEST(MessageParserTest, HugeHeaderLinesAreCut) {
  std::string subject(1 << 20, 'x');
  std::string to = "To: ";
  for (int i = 0; i < 5000; ++i) to += "user" + std::to_string(i) + "@example.com, ";
  std::string raw = "From: a@b.c\r\nSubject: " + subject + "\r\n" + to + "\r\n\r\nbody\r\n";
  MessageMetadata metadata = ParseMessageMetadata(raw, kFallback);
  EXPECT_EQ(metadata.subject().size(), kSubjectBytesMax);
  EXPECT_EQ(static_cast<size_t>(metadata.to_size()), kAddressesPerFieldMax);
  EXPECT_EQ(metadata.preview(), "body");
}

TEST(MessageParserTest, DeepNestingAndManyPartsStayBounded) {
  std::string deep = "From: a@b.c\r\nSubject: deep\r\n";
  for (int i = 0; i < 2000; ++i) {
    deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
            std::to_string(i) + "\r\n";
  }
  deep += "Content-Type: text/plain\r\n\r\nbottom\r\n";
  MessageMetadata nested = ParseMessageMetadata(deep, kFallback);
  EXPECT_EQ(nested.subject(), "deep");
  EXPECT_TRUE(HasProblemContaining(nested, "MIME depth or part limit"));

  std::string forwards = "From: a@b.c\r\nSubject: chain\r\n";
  for (int i = 0; i < 3000; ++i) {
    forwards += "Content-Type: message/rfc822\r\n\r\nSubject: s" + std::to_string(i) + "\r\n";
  }
  forwards += "\r\nx\r\n";
  MessageMetadata chain = ParseMessageMetadata(forwards, kFallback);
  EXPECT_EQ(chain.subject(), "chain");
  ASSERT_EQ(chain.attachments_size(), 1);  // the outermost forward; its insides are its own
  EXPECT_EQ(chain.attachments(0).name(), "s0.eml");

  std::string wide = "From: a@b.c\r\nContent-Type: multipart/mixed; boundary=w\r\n\r\n";
  for (int i = 0; i < 3000; ++i) {
    wide += "--w\r\nContent-Type: application/octet-stream; name=f" + std::to_string(i) +
            "\r\n\r\nx\r\n";
  }
  wide += "--w--\r\n";
  MessageMetadata many = ParseMessageMetadata(wide, kFallback);
  EXPECT_EQ(static_cast<size_t>(many.attachments_size()), kAttachmentsMax);
  EXPECT_TRUE(HasProblemContaining(many, "attachment limit"));
  EXPECT_TRUE(HasProblemContaining(many, "MIME depth or part limit"));
}

// The preview decodes only as much of the text as it needs, piece by piece: what it shows must not
// depend on where the pieces end (multi-byte characters and bad bytes across piece boundaries).
TEST(MessageParserTest, PreviewIsTheSameWhereverDecodingPiecesEnd) {
  for (size_t spaces : {1021u, 1022u, 1023u, 4093u, 4094u, 5118u, 60000u}) {
    std::string body = std::string(spaces, ' ') + "\xe2\x82\xac\xff\xe2\x82 b \xf0\x9f\x98\x80" +
                       std::string(300, 'z');
    std::string raw = "From: a@b.c\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
    // U+FFFD for the stray byte and for each byte of the cut sequence (glib g_utf8_make_valid).
    std::string expected = "\xe2\x82\xac\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd b \xf0\x9f\x98\x80" +
                           std::string(kPreviewCharsMax - 8, 'z');
    EXPECT_EQ(ParseMessageMetadata(raw, kFallback).preview(), expected) << spaces;
  }
}

TEST(MessageParserTest, PreviewReadsPastALongStyleBlockAndBoundsTheRest) {
  std::string style = "<style>";
  while (style.size() < 20'000) style += ".c{color:red} ";
  std::string raw = "From: a@b.c\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><head>" +
                    style + "</style></head><body><p>Hello&nbsp;&amp; welcome</p>" +
                    std::string(30'000, 'x') + "</body></html>";
  std::string preview = ParseMessageMetadata(raw, kFallback).preview();
  EXPECT_EQ(preview, "Hello & welcome " + std::string(kPreviewCharsMax - 16, 'x'));
  // Text that starts only after kPreviewSourceBytesMax decoded bytes is never reached.
  std::string late = "From: a@b.c\r\nContent-Type: text/html\r\n\r\n" +
                     std::string(kPreviewSourceBytesMax, ' ') + "<p>too late</p>";
  EXPECT_EQ(ParseMessageMetadata(late, kFallback).preview(), "");
}

std::string Base64Lines(const std::string& bytes) {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t group = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) group |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) group |= static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(kAlphabet[(group >> 18) & 63]);
    out.push_back(kAlphabet[(group >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(group >> 6) & 63] : '=');
    out.push_back(i + 2 < bytes.size() ? kAlphabet[group & 63] : '=');
    if (i % 57 == 54) out += "\r\n";  // 76-character lines (RFC 2045 6.8)
  }
  return out + "\r\n";
}

TEST(MessageParserTest, AttachmentSizesAreTheDecodedSizes) {
  for (size_t size : {0u, 1u, 2u, 3u, 4095u, 70'000u}) {
    std::string payload(size, '\0');
    for (size_t i = 0; i < size; ++i) payload[i] = static_cast<char>((i * 131) & 0xff);
    std::string raw =
        "From: a@b.c\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
        "--m\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        "--m\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n"
        "\r\n" +
        Base64Lines(payload) + "--m\r\nContent-Type: application/zip; name=b.zip\r\n\r\n" +
        std::string(size, 'q') + "\r\n--m--\r\n";
    MessageMetadata metadata = ParseMessageMetadata(raw, kFallback);
    ASSERT_EQ(metadata.attachments_size(), 2) << size;
    EXPECT_EQ(metadata.attachments(0).decoded_bytes(), size);
    EXPECT_EQ(metadata.attachments(1).decoded_bytes(), size);  // identity: the bytes as they are
    EXPECT_EQ(metadata.preview(), "see attached");
  }
}

TEST(MessageParserTest, MutatedMessagesNeverCrashAndKeepTheFallbackContract) {
  const std::string seed_message =
      "From: =?UTF-8?Q?J=C3=B6rg?= <j@example.de>\r\nTo: a@b.c, \"Group\": x@y.z;\r\n"
      "Subject: =?ISO-8859-1?B?SGVsbG8gV/ZybGQ=?=\r\nDate: Mon, 1 Jan 2024 10:00:00 +0100\r\n"
      "Content-Type: multipart/mixed; boundary=\"q\"\r\n\r\n--q\r\n"
      "Content-Type: text/html; charset=koi8-r\r\nContent-Transfer-Encoding: quoted-printable\r\n"
      "\r\n<p>=F0=D2=C9=D7=C5=D4</p>\r\n--q\r\nContent-Type: message/rfc822\r\n\r\n"
      "Subject: inner\r\n\r\ntext\r\n--q\r\nContent-Disposition: attachment; "
      "filename*0*=UTF-8''a%C3%A4; filename*1=.txt\r\n\r\nabc\r\n--q--\r\n";
  // A fixed linear congruential sequence (Knuth MMIX constants): the same inputs on every run.
  uint64_t state = 20240101;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  auto position = [&] { return static_cast<size_t>(next() % seed_message.size()); };
  auto byte = [&] { return static_cast<char>(next() & 0xff); };
  for (int round = 0; round < 300; ++round) {
    std::string mutated = seed_message;
    for (int edit = 0; edit < 1 + round % 8; ++edit) {
      mutated[position()] = byte();
    }
    if (round % 3 == 0) mutated.resize(position());
    MessageMetadata metadata = ParseMessageMetadata(mutated, kFallback);
    EXPECT_EQ(metadata.size_bytes(), mutated.size());
    if (!metadata.date_from_header()) {
      EXPECT_EQ(metadata.date_unix_seconds(), kFallback);
    }
    MessageMetadata copy;
    ASSERT_TRUE(copy.ParseFromString(metadata.SerializeAsString())) << "round " << round;
  }
}

}  // namespace
}  // namespace lifeboat::mailbox
