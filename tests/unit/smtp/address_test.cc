#include "modules/smtp/address.h"

#include <gtest/gtest.h>

#include <string>

#include "modules/smtp/mail_parameters.h"

namespace lifeboat::smtp {
namespace {

Path MustParse(std::string_view text, bool allow_null = false, bool postmaster = false) {
  PathParse parse = ParsePath(text, allow_null, postmaster);
  EXPECT_TRUE(parse.ok) << text;
  return parse.path;
}

PathError MustFail(std::string_view text) {
  PathParse parse = ParsePath(text, true, true);
  EXPECT_FALSE(parse.ok) << text;
  return parse.error;
}

TEST(ParsePathTest, DotStringMailboxParses) {
  Path path = MustParse("<alice.smith+tag@example.com>");
  EXPECT_EQ(path.mailbox.local_part, "alice.smith+tag");
  EXPECT_EQ(path.mailbox.domain, "example.com");
  EXPECT_FALSE(path.mailbox.local_part_quoted);
}

TEST(ParsePathTest, QuotedLocalPartKeepsQuotesAndUnquotes) {
  Path path = MustParse(R"(<"john \"jr\" doe"@example.com>)");
  EXPECT_TRUE(path.mailbox.local_part_quoted);
  EXPECT_EQ(path.mailbox.local_part, R"("john \"jr\" doe")");
  EXPECT_EQ(path.mailbox.UnquotedLocalPart(), R"(john "jr" doe)");
}

TEST(ParsePathTest, QuotedLocalPartMayHoldAngleBracketAndAt) {
  Path path = MustParse(R"(<"a>b@c"@example.com> SIZE=1)");
  EXPECT_EQ(path.mailbox.domain, "example.com");
  PathParse parse = ParsePath(R"(<"a>b@c"@example.com> SIZE=1)", false, false);
  EXPECT_EQ(parse.rest, " SIZE=1");
}

TEST(ParsePathTest, NullPathOnlyWhereAllowed) {
  EXPECT_TRUE(MustParse("<>", /*allow_null=*/true).is_null);
  EXPECT_FALSE(ParsePath("<>", false, false).ok);
}

TEST(ParsePathTest, BarePostmasterOnlyWhereAllowed) {
  EXPECT_TRUE(MustParse("<PostMaster>", false, /*postmaster=*/true).is_bare_postmaster);
  EXPECT_FALSE(ParsePath("<postmaster>", false, false).ok);
}

TEST(ParsePathTest, SourceRouteIsKeptApart) {
  Path path = MustParse("<@relay.example,@b.example:user@example.com>");
  EXPECT_EQ(path.source_route, "@relay.example,@b.example");
  EXPECT_EQ(path.mailbox.Address(), "user@example.com");
}

TEST(ParsePathTest, AddressLiterals) {
  EXPECT_TRUE(MustParse("<u@[192.0.2.1]>").mailbox.domain_is_literal);
  EXPECT_TRUE(MustParse("<u@[IPv6:2001:db8::1]>").mailbox.domain_is_literal);
  MustFail("<u@[192.0.2.256]>");
  MustFail("<u@[1.2.3]>");
  MustFail("<u@[IPv6:2001:db8::g]>");
  MustFail("<u@[tag:content]>");  // no registered Standardized-tag
}

TEST(ParsePathTest, SyntaxErrors) {
  for (const char* bad : {"alice@example.com", "<alice@example.com", "<alice>", "<@example.com>",
                          "<.alice@example.com>", "<alice.@example.com>", "<al..ice@example.com>",
                          "<alice@-example.com>", "<alice@example-.com>", "<alice@example..com>",
                          "<alice@example.com.>", "<al ice@example.com>", "<alice@exa_mple.com>",
                          "<\"unterminated@example.com>", "<alice@>", "<a\x01@example.com>"}) {
    EXPECT_EQ(MustFail(bad), PathError::kSyntax) << bad;
  }
  EXPECT_EQ(MustFail(std::string("<a\0b@example.com>", 17)), PathError::kSyntax);  // NUL
}

TEST(ParsePathTest, EmbeddedAtIsItsOwnError) {
  EXPECT_EQ(MustFail("<u@ext.example@example.com>"), PathError::kEmbeddedAt);
}

TEST(ParsePathTest, LengthLimits) {
  std::string local65(65, 'a');
  EXPECT_EQ(MustFail("<" + local65 + "@example.com>"), PathError::kTooLong);
  std::string local64(64, 'a');
  MustParse("<" + local64 + "@example.com>");
  std::string long_domain;
  for (int i = 0; i < 50; ++i) long_domain += "abcde.";
  long_domain += "com";
  EXPECT_EQ(MustFail("<a@" + long_domain + ">"), PathError::kTooLong);
}

TEST(ParsePathTest, Utf8IsFlaggedAndMustBeWellFormed) {
  Path path = MustParse(
      "<j\xC3\xB6rg@b\xC3\xBC"
      "cher.example>");
  EXPECT_TRUE(path.mailbox.has_non_ascii);
  EXPECT_FALSE(ParsePath("<j\xC3@example.com>", false, false).ok);          // truncated sequence
  EXPECT_FALSE(ParsePath("<j\xC0\xAF@example.com>", false, false).ok);      // overlong
  EXPECT_FALSE(ParsePath("<j\xED\xA0\x80@example.com>", false, false).ok);  // surrogate
}

TEST(MailParametersTest, SupportedParameters) {
  MailParameters params;
  Reply error;
  ASSERT_TRUE(ParseMailParameters(" SIZE=1000 body=8bitmime SMTPUTF8", true, &params, &error));
  EXPECT_EQ(params.declared_size, 1000u);
  EXPECT_TRUE(params.body_8bitmime);
  EXPECT_TRUE(params.smtputf8);
}

TEST(MailParametersTest, Refusals) {
  MailParameters params;
  Reply error;
  EXPECT_FALSE(ParseMailParameters(" SIZE=1", false, &params, &error));  // after HELO
  EXPECT_EQ(error.code, 555);
  EXPECT_FALSE(ParseMailParameters(" RET=HDRS", true, &params, &error));
  EXPECT_EQ(error.code, 555);
  EXPECT_FALSE(ParseMailParameters(" SIZE=abc", true, &params, &error));
  EXPECT_EQ(error.code, 501);
  EXPECT_FALSE(ParseMailParameters(" BODY=BINARYMIME", true, &params, &error));
  EXPECT_EQ(error.code, 501);
  EXPECT_FALSE(ParseMailParameters(" SMTPUTF8=yes", true, &params, &error));
  EXPECT_EQ(error.code, 501);
  EXPECT_FALSE(ParseMailParameters("SIZE=1", true, &params, &error));  // no SP after ">"
  EXPECT_EQ(error.code, 501);
  EXPECT_FALSE(ParseRcptParameters(" NOTIFY=NEVER", &error));
  EXPECT_EQ(error.code, 555);
}

TEST(MailParametersTest, HugeSizeSaturates) {
  MailParameters params;
  Reply error;
  ASSERT_TRUE(ParseMailParameters(" SIZE=99999999999999999999", true, &params, &error));
  EXPECT_EQ(params.declared_size, UINT64_MAX);
}

}  // namespace
}  // namespace lifeboat::smtp
