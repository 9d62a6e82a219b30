#include "modules/delivery/message_content.h"

#include <gtest/gtest.h>

namespace lifeboat::delivery {
namespace {

TEST(MessageContentTest, DotStuffsAndTerminates) {
  EXPECT_EQ(EncodeContent("Subject: x\r\n\r\n.hidden\r\n..two\r\nend.\r\n"),
            "Subject: x\r\n\r\n..hidden\r\n...two\r\nend.\r\n.\r\n");
  // A lone "." line in the message must not end the DATA early.
  EXPECT_EQ(EncodeContent("a\r\n.\r\nb\r\n"), "a\r\n..\r\nb\r\n.\r\n");
}

TEST(MessageContentTest, NeverABareCrOrLfOnTheWire) {
  // Bare LF, bare CR and "\n.\r\n" (the smuggling sequence) all become CRLF line ends, and the
  // dot at the start of a line is stuffed whatever ended the line before it.
  EXPECT_EQ(EncodeContent("a\nb\rc\r\n\n.\r\nd"), "a\r\nb\r\nc\r\n\r\n..\r\nd\r\n.\r\n");
  EXPECT_EQ(EncodeContent("x\n.\ny"), "x\r\n..\r\ny\r\n.\r\n");
  EXPECT_EQ(EncodeContent(""), ".\r\n");
  EXPECT_EQ(EncodeContent("no end"), "no end\r\n.\r\n");
}

TEST(MessageContentTest, SizeCountsCrlfLinesWithoutStuffing) {
  EXPECT_EQ(ContentSizeBytes("a\r\n.b\r\n"), 7u);
  EXPECT_EQ(ContentSizeBytes("a\nb"), 6u);  // as sent: "a\r\nb\r\n"
  EXPECT_EQ(ContentSizeBytes(""), 0u);
}

}  // namespace
}  // namespace lifeboat::delivery
