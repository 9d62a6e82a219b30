// The login decision core, driven as the webmail driver will drive it: Admit, the bind answer,
// the Argon2 job off the loop (ManualEnv's RunOffLoop), then the outcome and its events folded
// by the auth projection.
#include "modules/auth/login.h"

#include <gtest/gtest.h>

#include "modules/auth/auth_limits.h"
#include "modules/auth/auth_projection.h"
#include "modules/auth/secrets.h"
#include "modules/auth/totp.h"
#include "simulator/manual_env.h"
#include "tests/unit/eventlog/map_projection_state.h"

namespace lifeboat::auth {
namespace {

constexpr std::string_view kPassword = "Tr0ub4dor&3-correct";

class LoginTest : public ::testing::Test {
 protected:
  LoginRequest Request(std::string password = std::string(kPassword)) {
    LoginRequest request;
    request.user_name = "Alice@Example.com";
    request.user_id = "u-alice";
    request.password = std::move(password);
    request.peer_address = "198.51.100.7";
    return request;
  }

  // One login, the driver's way: the job runs off the loop, its result comes back posted.
  LoginOutcome Login(const LoginRequest& request, DirectoryAnswer answer) {
    if (std::optional<LoginOutcome> refused = core_.Admit(request)) return *refused;
    LoginStep step = core_.AfterDirectory(request, answer);
    if (auto* outcome = std::get_if<LoginOutcome>(&step)) return *outcome;
    std::optional<LoginOutcome> outcome;
    if (auto* hash = std::get_if<HashJob>(&step)) {
      auto result = std::make_shared<Result<std::string>>(Status::Aborted("not run"));
      env_.RunOffLoop([job = *hash, result] { *result = job.Run(); },
                      [&, result] { outcome = core_.AfterHash(request, *result); });
    } else {
      auto result = std::make_shared<Result<bool>>(Status::Aborted("not run"));
      env_.RunOffLoop([job = std::get<VerifyJob>(step), result] { *result = job.Run(); },
                      [&, result] { outcome = core_.AfterVerify(request, *result); });
    }
    EXPECT_FALSE(outcome.has_value());  // nothing ran on the caller's stack
    env_.RunUntilIdle();
    EXPECT_TRUE(outcome.has_value());
    return *outcome;
  }

  // Folds the outcome's auth events, as the runner would after commit.
  void Commit(const LoginOutcome& outcome) {
    for (events::Event event : outcome.events) {
      event.set_timestamp_unix_micros(env_.WallNow().count());
      ASSERT_TRUE(projection_.Apply(event, state_).ok());
    }
    projection_.OnBatchCommitted();
  }

  static bool Has(const LoginOutcome& outcome, events::Event::PayloadCase payload) {
    for (const events::Event& event : outcome.events) {
      if (event.payload_case() == payload) return true;
    }
    return false;
  }
  static const CredentialCached* Cached(const LoginOutcome& outcome) {
    for (const events::Event& event : outcome.events) {
      if (event.has_auth() && event.auth().has_credential_cached()) {
        return &event.auth().credential_cached();
      }
    }
    return nullptr;
  }

  simulator::ManualEnv env_{41};
  AuthView view_;
  AuthProjection projection_{view_};
  eventlog::testing::MapProjectionState state_;
  LoginThrottle throttle_;
  LoginCore core_{env_, view_, throttle_};
};

TEST_F(LoginTest, ABindAcceptedSucceedsAndCachesAVerifierNotThePassword) {
  LoginOutcome outcome = Login(Request(), DirectoryAnswer::kBindAccepted);
  ASSERT_EQ(outcome.result, LoginResult::kSucceeded) << outcome.reason;
  const CredentialCached* cached = Cached(outcome);
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(cached->user_id(), "u-alice");
  EXPECT_TRUE(cached->verifier_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
  EXPECT_TRUE(*VerifyPassword(kPassword, cached->verifier_phc()));
  EXPECT_TRUE(Has(outcome, events::Event::kLoginSucceeded));
  ASSERT_TRUE(outcome.session.has_value());
  for (const events::Event& event : outcome.events) {
    std::string bytes = event.SerializeAsString();
    EXPECT_EQ(bytes.find(kPassword), std::string::npos);
    EXPECT_EQ(bytes.find(outcome.session->id), std::string::npos);
  }
}

TEST_F(LoginTest, TheCachedVerifierLetsTheUserInWhileTheDirectoryIsDown) {
  Commit(Login(Request(), DirectoryAnswer::kBindAccepted));
  LoginOutcome down = Login(Request(), DirectoryAnswer::kUnavailable);
  ASSERT_EQ(down.result, LoginResult::kSucceeded) << down.reason;
  EXPECT_EQ(Cached(down), nullptr);  // nothing new to cache
  bool cached_method = false;
  for (const events::Event& event : down.events) {
    if (event.has_login_succeeded())
      cached_method = event.login_succeeded().method() == "cached-verifier";
  }
  EXPECT_TRUE(cached_method);
  LoginOutcome wrong = Login(Request("wrong password!"), DirectoryAnswer::kUnavailable);
  EXPECT_EQ(wrong.result, LoginResult::kFailed);
  EXPECT_TRUE(Has(wrong, events::Event::kLoginFailed));
  EXPECT_FALSE(wrong.session.has_value());
}

TEST_F(LoginTest, APasswordChangedInTheDirectoryReplacesTheCachedOne) {
  Commit(Login(Request(), DirectoryAnswer::kBindAccepted));
  Commit(Login(Request("the new password 2"), DirectoryAnswer::kBindAccepted));
  EXPECT_EQ(Login(Request(), DirectoryAnswer::kUnavailable).result, LoginResult::kFailed);
  EXPECT_EQ(Login(Request("the new password 2"), DirectoryAnswer::kUnavailable).result,
            LoginResult::kSucceeded);
}

TEST_F(LoginTest, DirectoryDownAndNothingCachedNeedsActivation) {
  LoginOutcome outcome = Login(Request(), DirectoryAnswer::kUnavailable);
  EXPECT_EQ(outcome.result, LoginResult::kNeedsActivation);
  EXPECT_TRUE(outcome.events.empty());
  EXPECT_FALSE(outcome.session.has_value());
}

TEST_F(LoginTest, ABindRejectedFailsEvenWithAMatchingCachedVerifier) {
  Commit(Login(Request(), DirectoryAnswer::kBindAccepted));
  // The directory answers and says no (password changed or account disabled): it decides.
  LoginOutcome outcome = Login(Request(), DirectoryAnswer::kBindRejected);
  EXPECT_EQ(outcome.result, LoginResult::kFailed);
  EXPECT_TRUE(Has(outcome, events::Event::kLoginFailed));
}

TEST_F(LoginTest, AnUnknownNameWithTheDirectoryDownCostsAVerificationAndFails) {
  LoginRequest request = Request();
  request.user_id.reset();
  LoginStep step = core_.AfterDirectory(request, DirectoryAnswer::kUnavailable);
  ASSERT_TRUE(std::holds_alternative<VerifyJob>(step));  // same timing as a known user
  EXPECT_EQ(Login(request, DirectoryAnswer::kUnavailable).result, LoginResult::kFailed);
}

TEST_F(LoginTest, EmptyOrOversizedInputNeverReachesTheBind) {
  // RFC 4513 5.1.2: a simple bind with an empty password is an unauthenticated bind that LDAP
  // servers answer with success.
  std::optional<LoginOutcome> empty = core_.Admit(Request(""));
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->result, LoginResult::kInvalid);
  EXPECT_EQ(core_.Admit(Request(std::string(kPasswordBytesMax + 1, 'x')))->result,
            LoginResult::kInvalid);
  LoginRequest long_name = Request();
  long_name.user_name = std::string(kUserNameBytesMax + 1, 'a');
  EXPECT_EQ(core_.Admit(long_name)->result, LoginResult::kInvalid);
  LoginRequest control = Request();
  control.user_name = "alice\n";
  EXPECT_EQ(core_.Admit(control)->result, LoginResult::kInvalid);
  EXPECT_FALSE(core_.Admit(Request()).has_value());
}

TEST_F(LoginTest, RepeatedFailuresAreThrottledAndTheUserElsewhereIsNot) {
  Commit(Login(Request(), DirectoryAnswer::kBindAccepted));
  for (uint32_t i = 0; i <= kPairFailuresFree; ++i) {
    ASSERT_EQ(Login(Request("guess " + std::to_string(i) + "xxxx"), DirectoryAnswer::kBindRejected)
                  .result,
              LoginResult::kFailed);
  }
  LoginOutcome throttled = Login(Request(), DirectoryAnswer::kBindAccepted);
  EXPECT_EQ(throttled.result, LoginResult::kThrottled);
  EXPECT_GT(throttled.retry_after, Duration(0));
  LoginRequest elsewhere = Request();
  elsewhere.peer_address = "192.0.2.10";
  EXPECT_EQ(Login(elsewhere, DirectoryAnswer::kBindAccepted).result, LoginResult::kSucceeded);
  env_.Advance(throttled.retry_after);
  EXPECT_EQ(Login(Request(), DirectoryAnswer::kBindAccepted).result, LoginResult::kSucceeded);
}

TEST_F(LoginTest, EveryLoginGetsANewSessionId) {
  LoginOutcome first = Login(Request(), DirectoryAnswer::kBindAccepted);
  LoginOutcome second = Login(Request(), DirectoryAnswer::kBindAccepted);
  ASSERT_TRUE(first.session && second.session);
  EXPECT_NE(first.session->id, second.session->id);
  Commit(first);
  EXPECT_EQ(view_.Session(SessionIdDigest(first.session->id))->user_id(), "u-alice");
}

TEST_F(LoginTest, WithTotpEnrolledThePasswordAloneIsNotEnoughAndACodeWorksOnce) {
  Commit(Login(Request(), DirectoryAnswer::kBindAccepted));
  const std::string secret = NewTotpSecret(env_);
  AuthEvent enrolled;
  enrolled.mutable_totp_enrolled()->set_user_id("u-alice");
  enrolled.mutable_totp_enrolled()->set_secret(secret);
  LoginOutcome enrol;
  enrol.events.push_back(AuthEventOf(enrolled));
  Commit(enrol);

  LoginOutcome no_code = Login(Request(), DirectoryAnswer::kUnavailable);
  EXPECT_EQ(no_code.result, LoginResult::kNeedsTotp);
  EXPECT_FALSE(no_code.session.has_value());

  int64_t now_seconds = std::chrono::duration_cast<std::chrono::seconds>(env_.WallNow()).count();
  LoginRequest with_code = Request();
  with_code.totp_code = HotpCode(secret, static_cast<uint64_t>(TotpStep(now_seconds)), 6);
  LoginOutcome ok = Login(with_code, DirectoryAnswer::kUnavailable);
  ASSERT_EQ(ok.result, LoginResult::kSucceeded) << ok.reason;
  Commit(ok);
  EXPECT_EQ(view_.Credentials("u-alice")->totp_last_step(), TotpStep(now_seconds));

  LoginOutcome replay = Login(with_code, DirectoryAnswer::kUnavailable);
  EXPECT_EQ(replay.result, LoginResult::kFailed);
  EXPECT_EQ(replay.reason, "TOTP code already used");

  LoginRequest wrong = Request();
  wrong.totp_code = with_code.totp_code == "000000" ? "000001" : "000000";
  EXPECT_EQ(Login(wrong, DirectoryAnswer::kUnavailable).result, LoginResult::kFailed);
}

}  // namespace
}  // namespace lifeboat::auth
