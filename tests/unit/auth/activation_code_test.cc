// Activation codes: entropy and shape, hashed storage, expiry, single use, break-glass lists.
#include "modules/auth/activation_code.h"

#include <gtest/gtest.h>

#include <set>

#include "modules/ascii/ascii_case.h"
#include "modules/auth/auth_limits.h"
#include "modules/auth/auth_projection.h"
#include "modules/auth/login.h"
#include "simulator/manual_env.h"
#include "tests/unit/eventlog/map_projection_state.h"

namespace lifeboat::auth {
namespace {

const WallTime kNow(1'700'000'000'000'000);

class ActivationCodeTest : public ::testing::Test {
 protected:
  void Commit(AuthEvent change, WallTime at) {
    events::Event event = AuthEventOf(std::move(change));
    event.set_timestamp_unix_micros(at.count());
    ASSERT_TRUE(projection_.Apply(event, state_).ok());
    projection_.OnBatchCommitted();
  }
  IssuedCode IssueAndCommit(const std::string& user, ActivationCodeKind kind) {
    IssuedCode issued = IssueActivationCode(env_, user, kind, kNow, "sms-hook");
    AuthEvent change;
    *change.mutable_activation_code_issued() = issued.event;
    Commit(change, kNow);
    return issued;
  }

  simulator::ManualEnv env_{31};
  AuthView view_;
  AuthProjection projection_{view_};
  eventlog::testing::MapProjectionState state_;
};

TEST_F(ActivationCodeTest, CodesAreTwentyCrockfordSymbolsInGroupsOfFive) {
  std::set<std::string> codes;
  for (int i = 0; i < 1000; ++i) {
    IssuedCode issued =
        IssueActivationCode(env_, "u-alice", ACTIVATION_CODE_KIND_OUT_OF_BAND, kNow, "x");
    ASSERT_EQ(issued.code.size(), 23u) << issued.code;
    for (size_t j = 0; j < issued.code.size(); ++j) {
      if (j % 6 == 5) {
        EXPECT_EQ(issued.code[j], '-');
      } else {
        EXPECT_NE(std::string_view("0123456789ABCDEFGHJKMNPQRSTVWXYZ").find(issued.code[j]),
                  std::string_view::npos)
            << issued.code;
      }
    }
    EXPECT_EQ(issued.event.code_sha256(),
              ActivationCodeDigest(*NormalizeActivationCode(issued.code)));
    EXPECT_EQ(issued.event.SerializeAsString().find(issued.code.substr(0, 5)), std::string::npos);
    codes.insert(issued.code);
  }
  EXPECT_EQ(codes.size(), 1000u);
}

TEST_F(ActivationCodeTest, TypedCodesAreNormalized) {
  EXPECT_EQ(NormalizeActivationCode("abcde-fghjk-mnpqr-stvwx"), "ABCDEFGHJKMNPQRSTVWX");
  EXPECT_EQ(NormalizeActivationCode("0o1il 22222 33333 44444"), "00111222223333344444");
  EXPECT_FALSE(NormalizeActivationCode("ABCDE-FGHJK-MNPQR-STVW").has_value());   // 19 symbols
  EXPECT_FALSE(NormalizeActivationCode("ABCDE-FGHJK-MNPQR-STVWU").has_value());  // U is not one
  EXPECT_FALSE(NormalizeActivationCode(std::string(1000, '-')).has_value());
}

TEST_F(ActivationCodeTest, ARedeemedCodeIsAcceptedOnceAndOnlyForItsUser) {
  IssuedCode issued = IssueAndCommit("u-alice", ACTIVATION_CODE_KIND_OUT_OF_BAND);
  std::string typed = ascii::Lower(issued.code);  // as a user may type it
  EXPECT_EQ(RedeemActivationCode(view_, "u-bob", typed, kNow, "198.51.100.7").check,
            CodeCheck::kWrongUser);
  CodeRedemption redeemed = RedeemActivationCode(view_, "u-alice", typed, kNow, "198.51.100.7");
  ASSERT_EQ(redeemed.check, CodeCheck::kAccepted);
  EXPECT_EQ(redeemed.event.code_sha256(), issued.event.code_sha256());
  AuthEvent used;
  *used.mutable_activation_code_used() = redeemed.event;
  Commit(used, kNow + std::chrono::seconds(1));
  EXPECT_EQ(RedeemActivationCode(view_, "u-alice", typed, kNow, "198.51.100.7").check,
            CodeCheck::kUsed);
}

TEST_F(ActivationCodeTest, CodesExpire) {
  IssuedCode sent = IssueAndCommit("u-alice", ACTIVATION_CODE_KIND_OUT_OF_BAND);
  IssuedCode printed = IssueAndCommit("u-alice", ACTIVATION_CODE_KIND_BREAK_GLASS);
  WallTime later = kNow + kOutOfBandCodeLifetime;
  EXPECT_EQ(
      RedeemActivationCode(view_, "u-alice", sent.code, later - std::chrono::seconds(1), "a").check,
      CodeCheck::kAccepted);
  EXPECT_EQ(RedeemActivationCode(view_, "u-alice", sent.code, later, "a").check,
            CodeCheck::kExpired);
  EXPECT_EQ(RedeemActivationCode(view_, "u-alice", printed.code, later, "a").check,
            CodeCheck::kAccepted);
  EXPECT_EQ(
      RedeemActivationCode(view_, "u-alice", printed.code, kNow + kBreakGlassCodeLifetime, "a")
          .check,
      CodeCheck::kExpired);
}

TEST_F(ActivationCodeTest, UnknownAndMalformedCodesAreRefused) {
  IssueAndCommit("u-alice", ACTIVATION_CODE_KIND_OUT_OF_BAND);
  EXPECT_EQ(RedeemActivationCode(view_, "u-alice", "00000-00000-00000-00000", kNow, "a").check,
            CodeCheck::kUnknown);
  EXPECT_EQ(RedeemActivationCode(view_, "u-alice", "not a code", kNow, "a").check,
            CodeCheck::kMalformed);
}

TEST_F(ActivationCodeTest, BreakGlassBatchesHaveOneEventPerPrintedCode) {
  Result<BreakGlassBatch> batch =
      GenerateBreakGlassCodes(env_, {"u-alice", "u-bob"}, 3, kNow, "root");
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->lines.size(), 6u);
  ASSERT_EQ(batch->events.size(), 6u);
  std::set<std::string> codes;
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(batch->lines[i].user_id, i < 3 ? "u-alice" : "u-bob");
    EXPECT_EQ(batch->events[i].user_id(), batch->lines[i].user_id);
    EXPECT_EQ(batch->events[i].kind(), ACTIVATION_CODE_KIND_BREAK_GLASS);
    EXPECT_EQ(batch->events[i].issued_by(), "operator root");
    EXPECT_EQ(batch->events[i].expires_unix_micros(),
              (kNow + std::chrono::duration_cast<WallTime>(kBreakGlassCodeLifetime)).count());
    EXPECT_EQ(batch->events[i].code_sha256(),
              ActivationCodeDigest(*NormalizeActivationCode(batch->lines[i].code)));
    codes.insert(batch->lines[i].code);
  }
  EXPECT_EQ(codes.size(), 6u);
  EXPECT_FALSE(GenerateBreakGlassCodes(env_, {"u-alice"}, 0, kNow, "root").ok());
  EXPECT_FALSE(
      GenerateBreakGlassCodes(env_, {"u-alice"}, kBreakGlassCodesPerUserMax + 1, kNow, "root")
          .ok());
  EXPECT_FALSE(GenerateBreakGlassCodes(env_, {}, 1, kNow, "root").ok());
  EXPECT_FALSE(GenerateBreakGlassCodes(env_, {""}, 1, kNow, "root").ok());
}

}  // namespace
}  // namespace lifeboat::auth
