#include "modules/smtp/content_decoder.h"

#include <gtest/gtest.h>

#include <string>

namespace lifeboat::smtp {
namespace {

TEST(DataDecoderTest, UnstuffsAndStopsAfterTerminator) {
  std::string content;
  DataDecoder decoder(1000, 1000, &content);
  std::string input = "a\r\n..b\r\n.c\r\n.\r\nQUIT\r\n";
  size_t consumed = decoder.Feed(input);
  EXPECT_EQ(decoder.state(), DataDecoder::State::kEnd);
  EXPECT_EQ(input.substr(consumed), "QUIT\r\n");
  EXPECT_EQ(content, "a\r\n.b\r\nc\r\n");  // RFC 5321 4.5.2: the first "." is removed
}

TEST(DataDecoderTest, TerminatorSplitAcrossFeedsOneByteAtATime) {
  std::string content;
  DataDecoder decoder(1000, 1000, &content);
  std::string input = "hi\r\n.\r\n";
  for (char c : input) {
    ASSERT_EQ(decoder.state(), DataDecoder::State::kNeedMore);
    EXPECT_EQ(decoder.Feed(std::string_view(&c, 1)), 1u);
  }
  EXPECT_EQ(decoder.state(), DataDecoder::State::kEnd);
  EXPECT_EQ(content, "hi\r\n");
}

TEST(DataDecoderTest, BareLfAndBareCrAreReported) {
  for (const char* input : {"a\n.\n", "a\r\n.\n", "a\n.\r\n"}) {
    std::string content;
    DataDecoder decoder(1000, 1000, &content);
    decoder.Feed(input);
    EXPECT_EQ(decoder.state(), DataDecoder::State::kBareLf) << input;
  }
  for (const char* input : {"a\r.\r", "a\r\n.\rMAIL", "a\r.\r\n"}) {
    std::string content;
    DataDecoder decoder(1000, 1000, &content);
    decoder.Feed(input);
    EXPECT_EQ(decoder.state(), DataDecoder::State::kBareCr) << input;
  }
}

TEST(DataDecoderTest, LongLineAndOversizeAreFlaggedButFramingContinues) {
  std::string content;
  DataDecoder decoder(10, 12, &content);
  decoder.Feed("123456789\r\n");  // 11 octets with CRLF: over 10
  EXPECT_TRUE(decoder.line_too_long());
  EXPECT_TRUE(decoder.too_big() == false);
  decoder.Feed("xx\r\n.\r\n");
  EXPECT_TRUE(decoder.too_big());
  EXPECT_TRUE(content.empty());
  EXPECT_EQ(decoder.state(), DataDecoder::State::kEnd);
}

TEST(ChunkDecoderTest, KeepsOctetsAndChecksLineEndsAcrossChunks) {
  std::string content;
  ChunkDecoder decoder(1000, 1000, &content);
  decoder.Feed("a\r");
  decoder.Feed("\n.b\r\n");
  decoder.Finish();
  EXPECT_FALSE(decoder.bare_newline());
  EXPECT_EQ(content, "a\r\n.b\r\n");  // no dot handling in BDAT
}

TEST(ChunkDecoderTest, BareNewlinesAreReported) {
  for (const char* input : {"a\nb\r\n", "a\rb\r\n", "a\r"}) {
    std::string content;
    ChunkDecoder decoder(1000, 1000, &content);
    decoder.Feed(input);
    decoder.Finish();
    EXPECT_TRUE(decoder.bare_newline()) << input;
  }
}

}  // namespace
}  // namespace lifeboat::smtp
