// Byte-exact MIME slicing (RFC 2046 5.1.1 delimiters, RFC 5322 header blocks).
#include "modules/mailbox/mime_bytes.h"

#include <gtest/gtest.h>

namespace lifeboat::mailbox {
namespace {

TEST(MimeBytesTest, FindsTheBodyAfterTheEmptyLine) {
  EXPECT_EQ(BodyOffset("A: 1\r\nB: 2\r\n\r\nbody"), 14u);
  EXPECT_EQ(BodyOffset("A: 1\n\nbody"), 6u);
  EXPECT_EQ(BodyOffset("\r\nbody"), 2u);
  EXPECT_FALSE(BodyOffset("A: 1\r\nB: 2\r\n").has_value());
}

TEST(MimeBytesTest, ReadsFoldedHeaderFieldsCaseInsensitively) {
  std::string_view headers = "Subject: x\r\ncontent-type: message/rfc822;\r\n\tname=a\r\nX: y\r\n";
  EXPECT_EQ(HeaderFieldValue(headers, "Content-Type"), "message/rfc822; name=a");
  EXPECT_FALSE(HeaderFieldValue(headers, "Content-Transfer-Encoding").has_value());
}

TEST(MimeBytesTest, SplitsPartsAndGivesTheLineBreakToTheDelimiter) {
  std::string_view body =
      "preamble\r\n--b\r\nA: 1\r\n\r\none\r\n--b  \r\n\r\ntwo\r\n\r\n--bogus\r\n--b--\r\nepilogue";
  std::vector<std::string_view> parts = MultipartBodyParts(body, "b", 10);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "A: 1\r\n\r\none");
  EXPECT_EQ(parts[1], "\r\ntwo\r\n\r\n--bogus");
  EXPECT_EQ(MultipartBodyParts(body, "b", 1).size(), 1u);
  EXPECT_EQ(MultipartBodyParts("--b\nunterminated", "b", 10),
            std::vector<std::string_view>{"unterminated"});
}

}  // namespace
}  // namespace lifeboat::mailbox
