// TOTP: the RFC 6238 Appendix B vectors (SHA-1), RFC 4226 Appendix D, the window and replay.
#include "modules/auth/totp.h"

#include <gtest/gtest.h>

#include "modules/auth/secrets.h"
#include "simulator/manual_env.h"

namespace lifeboat::auth {
namespace {

// RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
constexpr std::string_view kRfcSeed = "12345678901234567890";

TEST(TotpTest, Rfc6238AppendixBSha1Vectors) {
  struct Vector {
    int64_t unix_seconds;
    const char* code;
  };
  for (const Vector& v : {Vector{59, "94287082"}, Vector{1111111109, "07081804"},
                          Vector{1111111111, "14050471"}, Vector{1234567890, "89005924"},
                          Vector{2000000000, "69279037"}, Vector{20000000000, "65353130"}}) {
    EXPECT_EQ(HotpCode(kRfcSeed, static_cast<uint64_t>(TotpStep(v.unix_seconds)), 8), v.code)
        << v.unix_seconds;
  }
}

TEST(TotpTest, Rfc4226AppendixDHotpVectors) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t counter = 0; counter < 10; ++counter) {
    EXPECT_EQ(HotpCode(kRfcSeed, counter, 6), expected[counter]) << counter;
  }
}

TEST(TotpTest, StepsAreThirtySeconds) {
  EXPECT_EQ(TotpStep(0), 0);
  EXPECT_EQ(TotpStep(29), 0);
  EXPECT_EQ(TotpStep(30), 1);
  EXPECT_EQ(TotpStep(1111111109), 37037036);
}

TEST(TotpTest, OneStepOfDriftEitherWayIsAcceptedTwoAreNot) {
  const int64_t now = 1'700'000'015;  // mid-step
  const int64_t step = TotpStep(now);
  for (int64_t delta : {-1, 0, 1}) {
    std::string code = HotpCode(kRfcSeed, static_cast<uint64_t>(step + delta), 6);
    TotpResult result = CheckTotp(kRfcSeed, code, now, 0);
    EXPECT_EQ(result.check, TotpCheck::kAccepted) << delta;
    EXPECT_EQ(result.step, step + delta);
  }
  for (int64_t delta : {-2, 2}) {
    std::string code = HotpCode(kRfcSeed, static_cast<uint64_t>(step + delta), 6);
    EXPECT_EQ(CheckTotp(kRfcSeed, code, now, 0).check, TotpCheck::kWrongCode) << delta;
  }
}

TEST(TotpTest, ACodeIsRefusedForAStepAtOrBeforeTheLastAccepted) {
  const int64_t now = 1'700'000'015;
  const int64_t step = TotpStep(now);
  std::string code = HotpCode(kRfcSeed, static_cast<uint64_t>(step), 6);
  TotpResult first = CheckTotp(kRfcSeed, code, now, 0);
  ASSERT_EQ(first.check, TotpCheck::kAccepted);
  // Replay of the same code, and of the previous step's code, after step was recorded.
  EXPECT_EQ(CheckTotp(kRfcSeed, code, now + 10, first.step).check, TotpCheck::kReplayed);
  std::string earlier = HotpCode(kRfcSeed, static_cast<uint64_t>(step - 1), 6);
  EXPECT_EQ(CheckTotp(kRfcSeed, earlier, now, first.step).check, TotpCheck::kReplayed);
  // The next step's code still works.
  std::string next = HotpCode(kRfcSeed, static_cast<uint64_t>(step + 1), 6);
  EXPECT_EQ(CheckTotp(kRfcSeed, next, now + 30, first.step).check, TotpCheck::kAccepted);
}

TEST(TotpTest, MalformedCodesAreNotCompared) {
  EXPECT_EQ(CheckTotp(kRfcSeed, "12345", 1'700'000'000, 0).check, TotpCheck::kMalformed);
  EXPECT_EQ(CheckTotp(kRfcSeed, "12345a", 1'700'000'000, 0).check, TotpCheck::kMalformed);
  EXPECT_EQ(CheckTotp(kRfcSeed, "1234567", 1'700'000'000, 0).check, TotpCheck::kMalformed);
}

TEST(TotpTest, SecretsAreRandomAndTheUriCarriesThemInBase32) {
  simulator::ManualEnv env(7);
  std::string a = NewTotpSecret(env);
  std::string b = NewTotpSecret(env);
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a, b);
  EXPECT_EQ(TotpProvisioningUri("Lifeboat", "alice@example.com", kRfcSeed),
            "otpauth://totp/Lifeboat:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=Lifeboat&algorithm=SHA1&digits=6&period=30");
}

TEST(TotpTest, AnEnrollmentIsConfirmedByACodeFromItsOwnKey) {
  simulator::ManualEnv env(8);
  TotpEnrollment enrollment = EnrollTotp(env, "u-alice", "Lifeboat", "alice@example.com");
  EXPECT_EQ(enrollment.event.user_id(), "u-alice");
  EXPECT_EQ(enrollment.event.secret(), enrollment.secret);
  EXPECT_NE(enrollment.uri.find("secret=" + Base32Encode(enrollment.secret) + "&"),
            std::string::npos);
  const int64_t now = 1'700'000'000;
  std::string from_app = HotpCode(enrollment.secret, static_cast<uint64_t>(TotpStep(now)), 6);
  EXPECT_EQ(CheckTotp(enrollment.secret, from_app, now, 0).check, TotpCheck::kAccepted);
  EXPECT_NE(CheckTotp(kRfcSeed, from_app, now, 0).check, TotpCheck::kAccepted);
}

TEST(SecretsTest, Rfc4648Base32AndBase64Vectors) {
  // RFC 4648 section 10, without padding.
  EXPECT_EQ(Base32Encode(""), "");
  EXPECT_EQ(Base32Encode("f"), "MY");
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(Base64UnpaddedDecode("Zm9vYmE"), "fooba");
  EXPECT_EQ(Base64UnpaddedDecode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(Base64UnpaddedDecode("Zg"), "f");
  EXPECT_FALSE(Base64UnpaddedDecode("Zh").has_value());  // non-zero leftover bits
  EXPECT_FALSE(Base64UnpaddedDecode("Z").has_value());
  EXPECT_FALSE(Base64UnpaddedDecode("Zm9=").has_value());
  EXPECT_EQ(HexEncode("\x01\xab"), "01ab");
  EXPECT_EQ(HexDecode("01AB"), std::string("\x01\xab"));
  EXPECT_FALSE(HexDecode("0g").has_value());
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

}  // namespace
}  // namespace lifeboat::auth
