// The auth projection: what each event changes, that the view follows only committed batches,
// first-use-wins for codes, and that Restore rebuilds the same view from the stored state.
#include "modules/auth/auth_projection.h"

#include <gtest/gtest.h>

#include "modules/auth/activation_code.h"
#include "modules/auth/login.h"
#include "modules/auth/secrets.h"
#include "modules/auth/session.h"
#include "simulator/manual_env.h"
#include "tests/unit/eventlog/map_projection_state.h"

namespace lifeboat::auth {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;

class AuthProjectionTest : public ::testing::Test {
 protected:
  // Applies `change` at `micros` as one committed batch.
  void Commit(AuthEvent change, int64_t micros = kT0) {
    ASSERT_TRUE(Apply(std::move(change), micros).ok());
    projection_.OnBatchCommitted();
  }
  Status Apply(AuthEvent change, int64_t micros = kT0) {
    events::Event event = AuthEventOf(std::move(change));
    event.set_index(++index_);
    event.set_timestamp_unix_micros(micros);
    return projection_.Apply(event, state_);
  }
  static AuthEvent Cached(const std::string& user, const std::string& phc) {
    AuthEvent change;
    change.mutable_credential_cached()->set_user_id(user);
    change.mutable_credential_cached()->set_verifier_phc(phc);
    change.mutable_credential_cached()->set_source(CREDENTIAL_SOURCE_LDAP_BIND);
    return change;
  }

  simulator::ManualEnv env_{21};
  AuthView view_;
  AuthProjection projection_{view_};
  eventlog::testing::MapProjectionState state_;
  uint64_t index_ = 0;
};

TEST_F(AuthProjectionTest, TheLatestVerifierWinsAndKeepsItsEventTime) {
  Commit(Cached("u-alice", "$argon2id$first"), kT0);
  Commit(Cached("u-alice", "$argon2id$second"), kT0 + 5);
  std::optional<UserCredentials> alice = view_.Credentials("u-alice");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->verifier_phc(), "$argon2id$second");
  EXPECT_EQ(alice->verifier_cached_unix_micros(), kT0 + 5);
  EXPECT_EQ(alice->verifier_source(), CREDENTIAL_SOURCE_LDAP_BIND);
  EXPECT_TRUE(state_.values.contains("user/u-alice"));
  EXPECT_FALSE(view_.Credentials("u-bob").has_value());
}

TEST_F(AuthProjectionTest, TheViewChangesOnlyWhenTheBatchCommits) {
  ASSERT_TRUE(Apply(Cached("u-alice", "$argon2id$x")).ok());
  EXPECT_FALSE(view_.Credentials("u-alice").has_value());  // staged, not shown
  projection_.OnBatchDiscarded();
  EXPECT_FALSE(view_.Credentials("u-alice").has_value());
  ASSERT_TRUE(Apply(Cached("u-alice", "$argon2id$y")).ok());
  projection_.OnBatchCommitted();
  EXPECT_EQ(view_.Credentials("u-alice")->verifier_phc(), "$argon2id$y");
}

TEST_F(AuthProjectionTest, ACodeIsUsedOnceAndOnlyByItsOwner) {
  IssuedCode issued = IssueActivationCode(env_, "u-alice", ACTIVATION_CODE_KIND_OUT_OF_BAND,
                                          WallTime(kT0), "sms-hook");
  AuthEvent issue;
  *issue.mutable_activation_code_issued() = issued.event;
  Commit(issue);
  const std::string digest = issued.event.code_sha256();
  EXPECT_FALSE(view_.Code(digest)->used());

  AuthEvent by_mallory;
  by_mallory.mutable_activation_code_used()->set_user_id("u-mallory");
  by_mallory.mutable_activation_code_used()->set_code_sha256(digest);
  Commit(by_mallory);
  EXPECT_FALSE(view_.Code(digest)->used());

  AuthEvent by_alice;
  by_alice.mutable_activation_code_used()->set_user_id("u-alice");
  by_alice.mutable_activation_code_used()->set_code_sha256(digest);
  Commit(by_alice, kT0 + 10);
  Commit(by_alice, kT0 + 20);  // a racing second redemption: the first committed wins
  EXPECT_TRUE(view_.Code(digest)->used());
  EXPECT_EQ(view_.Code(digest)->used_unix_micros(), kT0 + 10);
  // Nothing stored names the code itself.
  for (const auto& [key, value] : state_.values) {
    EXPECT_EQ(key.find(issued.code), std::string::npos);
    EXPECT_EQ(value.find(issued.code), std::string::npos);
  }
}

TEST_F(AuthProjectionTest, TheTotpStepOnlyMovesForward) {
  AuthEvent enrolled;
  enrolled.mutable_totp_enrolled()->set_user_id("u-alice");
  enrolled.mutable_totp_enrolled()->set_secret("12345678901234567890");
  Commit(enrolled);
  for (int64_t step : {100, 99, 101}) {
    AuthEvent used;
    used.mutable_totp_step_used()->set_user_id("u-alice");
    used.mutable_totp_step_used()->set_step(step);
    Commit(used);
  }
  EXPECT_EQ(view_.Credentials("u-alice")->totp_last_step(), 101);
  EXPECT_EQ(view_.Credentials("u-alice")->totp_secret(), "12345678901234567890");
}

TEST_F(AuthProjectionTest, SessionsOpenAndEndServerSide) {
  NewSession session = StartSession(env_, "u-alice", "198.51.100.7", "ldap-bind");
  AuthEvent started;
  *started.mutable_session_started() = session.event;
  Commit(started, kT0 + 7);
  const std::string digest = SessionIdDigest(session.id);
  ASSERT_TRUE(view_.Session(digest).has_value());
  EXPECT_EQ(view_.Session(digest)->user_id(), "u-alice");
  EXPECT_EQ(view_.Session(digest)->created_unix_micros(), kT0 + 7);
  AuthEvent ended;
  ended.mutable_session_ended()->set_session_id_sha256(digest);
  ended.mutable_session_ended()->set_reason("logout");
  Commit(ended);
  EXPECT_FALSE(view_.Session(digest).has_value());
  EXPECT_EQ(view_.session_count(), 0u);
  EXPECT_FALSE(state_.values.contains("session/" + HexEncode(digest)));
}

TEST_F(AuthProjectionTest, RestoreRebuildsTheSameViewFromTheStoredState) {
  Commit(Cached("u-alice", "$argon2id$x"));
  IssuedCode issued = IssueActivationCode(env_, "u-bob", ACTIVATION_CODE_KIND_BREAK_GLASS,
                                          WallTime(kT0), "operator root");
  AuthEvent issue;
  *issue.mutable_activation_code_issued() = issued.event;
  Commit(issue);
  NewSession session = StartSession(env_, "u-alice", "198.51.100.7", "ldap-bind");
  AuthEvent started;
  *started.mutable_session_started() = session.event;
  Commit(started);

  AuthView restored_view;
  AuthProjection restored(restored_view);
  for (const auto& [key, value] : state_.values) ASSERT_TRUE(restored.Restore(key, value).ok());
  EXPECT_EQ(restored_view.Credentials("u-alice")->verifier_phc(), "$argon2id$x");
  EXPECT_EQ(restored_view.Code(issued.event.code_sha256())->user_id(), "u-bob");
  EXPECT_EQ(restored_view.Session(SessionIdDigest(session.id))->user_id(), "u-alice");
  EXPECT_EQ(restored.Restore("user/u-x", "\xff\xff").code(), StatusCode::kCorruption);
  EXPECT_EQ(restored.Restore("code/zz", "").code(), StatusCode::kCorruption);
}

TEST_F(AuthProjectionTest, MalformedEventsStopTheRunnerOtherPayloadsAreIgnored) {
  AuthEvent bad;
  bad.mutable_session_ended()->set_session_id_sha256("short");
  EXPECT_EQ(Apply(bad).code(), StatusCode::kCorruption);
  projection_.OnBatchDiscarded();
  events::Event other;
  other.mutable_login_failed()->set_user_name("mallory");
  EXPECT_TRUE(projection_.Apply(other, state_).ok());
  EXPECT_TRUE(projection_.Apply(events::Event(), state_).ok());
  EXPECT_TRUE(state_.values.empty());
}

}  // namespace
}  // namespace lifeboat::auth
