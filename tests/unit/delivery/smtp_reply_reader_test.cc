#include "modules/delivery/smtp_reply_reader.h"

#include <gtest/gtest.h>

#include "modules/delivery/smtp_client_limits.h"

namespace lifeboat::delivery {
namespace {

TEST(ReplyReaderTest, ReadsMultilineRepliesSplitAnywhere) {
  ReplyReader reader;
  std::string bytes = "250-mx.corp.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n220 ok\n354\r\n";
  for (char c : bytes) ASSERT_TRUE(reader.Feed(std::string_view(&c, 1)).ok());
  std::optional<ServerReply> ehlo = reader.Next();
  ASSERT_TRUE(ehlo.has_value());
  EXPECT_EQ(ehlo->code, 250);
  EXPECT_EQ(ehlo->lines, (std::vector<std::string>{"mx.corp.test", "PIPELINING", "SIZE 1000"}));
  EXPECT_EQ(ehlo->Text(), "250 mx.corp.test / PIPELINING / SIZE 1000");
  EXPECT_EQ(reader.Next()->Text(), "220 ok");  // a bare LF is read, never written
  EXPECT_EQ(reader.Next()->Text(), "354");
  EXPECT_FALSE(reader.Next().has_value());
  EXPECT_FALSE(reader.HasBufferedInput());
}

TEST(ReplyReaderTest, RejectsWhatIsNotAReply) {
  for (std::string_view bad :
       {"HTTP/1.1 400 Bad Request\r\n", "25 short\r\n", "250x\r\n", "650 no such class\r\n",
        "199 no such class\r\n", "260 bad second digit\r\n", "250-a\r\n251 b\r\n"}) {
    ReplyReader reader;
    Status status = reader.Feed(bad);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad;
    // It stays failed.
    EXPECT_FALSE(reader.Feed("250 ok\r\n").ok()) << bad;
  }
}

TEST(ReplyReaderTest, BoundsLineLengthAndLineCount) {
  ReplyReader long_line;
  std::string line = "250 " + std::string(kReplyLineBytesMax, 'x');
  EXPECT_FALSE(long_line.Feed(line).ok());  // refused before its end arrives

  ReplyReader exactly;
  std::string fits = "250 " + std::string(kReplyLineBytesMax - 6, 'x') + "\r\n";
  ASSERT_EQ(fits.size(), kReplyLineBytesMax);
  EXPECT_TRUE(exactly.Feed(fits).ok());

  ReplyReader many;
  std::string lines;
  for (size_t i = 0; i <= kReplyLinesMax; ++i) lines += "250-x\r\n";
  EXPECT_EQ(many.Feed(lines).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lifeboat::delivery
