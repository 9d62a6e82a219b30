#include "modules/directory/address.h"

#include <gtest/gtest.h>

namespace lifeboat::directory {
namespace {

TEST(NormalizeAddress, LowerCasesTheDomainAndKeepsTheLocalPart) {
  EXPECT_EQ(NormalizeAddress(" Alice.Smith@Corp.Example.TEST "), "Alice.Smith@corp.example.test");
  EXPECT_EQ(NormalizeAddress("o'brien+tag@example.com"), "o'brien+tag@example.com");
}

TEST(NormalizeAddress, RejectsWhatIsNotADotAtomMailbox) {
  for (const char* bad : {"", "alice", "@example.com", "alice@", "a@b@example.com",
                          "alice@localhost", ".alice@example.com", "al..ice@example.com",
                          "alice@-example.com", "alice@exa_mple.com", "\"quoted\"@example.com",
                          "ali ce@example.com", "alice@[127.0.0.1]", "alice@example..com"}) {
    EXPECT_FALSE(NormalizeAddress(bad).has_value()) << bad;
  }
  EXPECT_FALSE(NormalizeAddress(std::string(65, 'a') + "@example.com").has_value());
  EXPECT_TRUE(NormalizeAddress(std::string(64, 'a') + "@example.com").has_value());
}

TEST(AddressKey, IsCaseInsensitive) {
  EXPECT_EQ(AddressKey("Alice@Example.COM"), AddressKey("alice@example.com"));
  EXPECT_EQ(AddressDomain("alice@example.com"), "example.com");
}

}  // namespace
}  // namespace lifeboat::directory
