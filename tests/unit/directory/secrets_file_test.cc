#include "modules/directory/secrets_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "modules/directory/base64.h"

namespace lifeboat::directory {
namespace {

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    path_ = std::string(base != nullptr ? base : "/tmp") + "/lifeboat-secret-XXXXXX";
    int fd = ::mkstemp(path_.data());
    ASSERT_GE(fd, 0);
    ::close(fd);
  }
  void TearDown() override { ::unlink(path_.c_str()); }
  void Write(const std::string& content, mode_t mode) {
    std::ofstream(path_, std::ios::trunc) << content;
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
  }
  std::string path_;
};

TEST_F(SecretFileTest, ReadsAnOwnerOnlyFileWithoutItsTrailingNewline) {
  Write("s3cret pass\n", 0600);
  Result<std::string> secret = ReadSecretFile(path_);
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(*secret, "s3cret pass");
  Write("x", 0400);
  EXPECT_TRUE(ReadSecretFile(path_).ok());
}

TEST_F(SecretFileTest, RefusesGroupOrWorldAccessEmptyAndMissingFiles) {
  for (mode_t mode : {0640, 0604, 0660, 0644, 0610}) {
    Write("pw", mode);
    EXPECT_EQ(ReadSecretFile(path_).status().code(), StatusCode::kFailedPrecondition) << mode;
  }
  Write("\n", 0600);
  EXPECT_EQ(ReadSecretFile(path_).status().code(), StatusCode::kInvalidArgument);
  Write(std::string(kSecretFileBytesMax + 1, 'x'), 0600);
  EXPECT_EQ(ReadSecretFile(path_).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadSecretFile(path_ + ".missing").status().code(), StatusCode::kIoError);
}

TEST(Base64, RoundTripsBinaryCookies) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t n : {0u, 1u, 2u, 3u, 4u, 255u, 256u}) {
    std::string part = bytes.substr(0, n);
    EXPECT_EQ(Base64Decode(Base64Encode(part)), part) << n;
  }
  EXPECT_EQ(Base64Encode("Man"), "TWFu");
  EXPECT_EQ(Base64Encode("Ma"), "TWE=");
  EXPECT_FALSE(Base64Decode("TW!u").has_value());
}

}  // namespace
}  // namespace lifeboat::directory
