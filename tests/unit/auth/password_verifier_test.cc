// Argon2id verifiers: the PHC string, the parameter floor and ceiling, constant-time checks.
#include "modules/auth/password_verifier.h"

#include <gtest/gtest.h>

#include "modules/auth/auth_limits.h"
#include "simulator/manual_env.h"

namespace lifeboat::auth {
namespace {

TEST(PasswordVerifierTest, HashIsAnArgon2idPhcStringAtTheChosenParameters) {
  simulator::ManualEnv env(1);
  Result<std::string> phc = HashPassword("correct horse", NewSalt(env), DefaultArgon2Parameters());
  ASSERT_TRUE(phc.ok()) << phc.status().ToString();
  EXPECT_TRUE(phc->starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << *phc;
  EXPECT_EQ(phc->find("correct horse"), std::string::npos);
  Result<ParsedVerifier> parsed = ParseVerifier(*phc);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->salt.size(), kArgon2SaltBytes);
  EXPECT_EQ(parsed->hash.size(), kArgon2HashBytes);
}

TEST(PasswordVerifierTest, TheRightPasswordMatchesAndAWrongOneDoesNot) {
  simulator::ManualEnv env(2);
  Result<std::string> phc = HashPassword("correct horse", NewSalt(env), DefaultArgon2Parameters());
  ASSERT_TRUE(phc.ok());
  Result<bool> right = VerifyPassword("correct horse", *phc);
  Result<bool> wrong = VerifyPassword("correct horsf", *phc);
  ASSERT_TRUE(right.ok() && wrong.ok());
  EXPECT_TRUE(*right);
  EXPECT_FALSE(*wrong);
  EXPECT_FALSE(*VerifyPassword("", *phc));
}

TEST(PasswordVerifierTest, TwoHashesOfOnePasswordDifferByTheirSalt) {
  simulator::ManualEnv env(3);
  Result<std::string> a = HashPassword("pw-pw-pw-pw-pw", NewSalt(env), DefaultArgon2Parameters());
  Result<std::string> b = HashPassword("pw-pw-pw-pw-pw", NewSalt(env), DefaultArgon2Parameters());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(PasswordVerifierTest, AVerifierBelowTheOwaspMinimumIsRefused) {
  // A valid Argon2id string at m = 4 MiB: a weakened verifier written into the log.
  const std::string weak =
      "$argon2id$v=19$m=4096,t=2,p=1$AQAAAAAAAAAAAAAAAAAAAA$"
      "eq4QlgNcTIn0URPhr3hul5BJY0DxHejEuxv5a7O+kI4";
  EXPECT_EQ(ParseVerifier(weak).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(VerifyPassword("x", weak).ok());
  Argon2Parameters low{kArgon2MemoryKibibytesMin, 1, 1};
  simulator::ManualEnv env(4);
  EXPECT_EQ(HashPassword("x", NewSalt(env), low).status().code(), StatusCode::kInvalidArgument);
}

TEST(PasswordVerifierTest, ADoSSizedVerifierIsRefusedBeforeAnyHashing) {
  const std::string huge =
      "$argon2id$v=19$m=4194304,t=2,p=1$AQAAAAAAAAAAAAAAAAAAAA$"
      "eq4QlgNcTIn0URPhr3hul5BJY0DxHejEuxv5a7O+kI4";
  EXPECT_EQ(ParseVerifier(huge).status().code(), StatusCode::kInvalidArgument);
}

TEST(PasswordVerifierTest, MalformedVerifiersAreErrorsNotMatches) {
  for (const char* bad :
       {"", "$argon2i$v=19$m=19456,t=2,p=1$AQAAAAAAAAAAAAAAAAAAAA$AAAA",
        "$argon2id$v=16$m=19456,t=2,p=1$AQAAAAAAAAAAAAAAAAAAAA$AAAA",
        "$argon2id$v=19$m=19456,t=2$AQAAAAAAAAAAAAAAAAAAAA$AAAA",
        "$argon2id$v=19$m=19456,t=2,p=1$AQAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=19456,t=2,p=1$!!$eq4QlgNcTIn0URPhr3hul5BJY0DxHejEuxv5a7O+kI4",
        "plaintext-password"}) {
    EXPECT_FALSE(VerifyPassword("x", bad).ok()) << bad;
  }
}

TEST(PasswordVerifierTest, ATamperedHashDoesNotMatch) {
  simulator::ManualEnv env(5);
  Result<std::string> phc = HashPassword("correct horse", NewSalt(env), DefaultArgon2Parameters());
  ASSERT_TRUE(phc.ok());
  std::string tampered = *phc;
  char& last = tampered[tampered.size() - 2];
  last = last == 'A' ? 'B' : 'A';
  Result<bool> matched = VerifyPassword("correct horse", tampered);
  ASSERT_TRUE(matched.ok()) << matched.status().ToString();
  EXPECT_FALSE(*matched);
}

TEST(PasswordVerifierTest, InputsBeyondTheirLimitsAreRefused) {
  simulator::ManualEnv env(6);
  std::string long_password(kPasswordBytesMax + 1, 'a');
  EXPECT_EQ(HashPassword(long_password, NewSalt(env), DefaultArgon2Parameters()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(HashPassword("x", "short", DefaultArgon2Parameters()).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lifeboat::auth
