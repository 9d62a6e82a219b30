// Byte-exact MIME slicing (RFC 2046 5.1.1 delimiters, RFC 5322 header blocks).
#include "modules/mailbox/mime_bytes.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

// GMime's own decoder (gmime-encodings.h), the reference Base64DecodedBytes must agree with.
// Declared here because the GMime headers are private to lifeboat_mailbox; the library links it.
extern "C" size_t g_mime_encoding_base64_decode_step(const unsigned char* inbuf, size_t inlen,
                                                     unsigned char* outbuf, int* state,
                                                     uint32_t* save);

namespace lifeboat::mailbox {
namespace {

size_t GMimeBase64DecodedBytes(std::string_view encoded, size_t slice_bytes) {
  std::string out(encoded.size() + 4, '\0');
  int state = 0;
  uint32_t save = 0;
  size_t written = 0;
  for (size_t at = 0; at < encoded.size(); at += slice_bytes) {
    std::string_view slice = encoded.substr(at, slice_bytes);
    written += g_mime_encoding_base64_decode_step(
        reinterpret_cast<const unsigned char*>(slice.data()), slice.size(),
        reinterpret_cast<unsigned char*>(out.data()) + written, &state, &save);
  }
  return written;
}

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

TEST(MimeBytesTest, CountsBase64LikeGMimeDecodesIt) {
  EXPECT_EQ(Base64DecodedBytes(""), 0u);
  EXPECT_EQ(Base64DecodedBytes("QUJD"), 3u);
  EXPECT_EQ(Base64DecodedBytes("QUJDRA=="), 4u);  // "ABCD"
  EXPECT_EQ(Base64DecodedBytes("QUJDREU="), 5u);  // "ABCDE"
  EXPECT_EQ(Base64DecodedBytes("QUJDRA"), 3u);    // an unfinished quartet without '=' is dropped
  EXPECT_EQ(Base64DecodedBytes("QU\r\nJD \x80RA==\r\n"), 4u);  // skipped: line breaks, junk
  EXPECT_EQ(Base64DecodedBytes("QUJDRA==QUJD"), 4u);           // nothing after the first '=' counts
  EXPECT_EQ(Base64DecodedBytes("=QUJD"), 0u);
}

TEST(MimeBytesTest, Base64CountAgreesWithTheGMimeDecoderOnHostileInput) {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint64_t state = 7;  // fixed LCG (Knuth MMIX): the same inputs on every run
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  for (int round = 0; round < 2000; ++round) {
    std::string encoded;
    size_t length = next() % (round < 1000 ? 64 : 5000);
    for (size_t i = 0; i < length; ++i) {
      uint64_t kind = next() % 100;
      if (kind < 2) {
        encoded.push_back('=');
      } else if (kind < 8) {
        encoded.push_back(static_cast<char>(next() & 0xff));
      } else {
        encoded.push_back(kAlphabet[next() % 64]);
      }
    }
    size_t slice_bytes = 1 + next() % 4096;
    EXPECT_EQ(Base64DecodedBytes(encoded), GMimeBase64DecodedBytes(encoded, slice_bytes))
        << "round " << round;
  }
}

}  // namespace
}  // namespace lifeboat::mailbox
