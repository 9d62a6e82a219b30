// Activation as a login: a one-time code plus a new password, the password cached, the code used.
#include <gtest/gtest.h>

#include "modules/auth/activation_code.h"
#include "modules/auth/auth_limits.h"
#include "modules/auth/auth_projection.h"
#include "modules/auth/login.h"
#include "simulator/manual_env.h"
#include "tests/unit/eventlog/map_projection_state.h"

namespace lifeboat::auth {
namespace {

constexpr std::string_view kNewPassword = "a long new password";

class ActivationLoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    IssuedCode issued = IssueActivationCode(env_, "u-alice", ACTIVATION_CODE_KIND_OUT_OF_BAND,
                                            env_.WallNow(), "sms-hook");
    code_ = issued.code;
    AuthEvent change;
    *change.mutable_activation_code_issued() = issued.event;
    Commit({AuthEventOf(change)});
  }

  void Commit(const std::vector<events::Event>& events) {
    for (events::Event event : events) {
      event.set_timestamp_unix_micros(env_.WallNow().count());
      ASSERT_TRUE(projection_.Apply(event, state_).ok());
    }
    projection_.OnBatchCommitted();
  }

  ActivationRequest Request(std::string code) {
    ActivationRequest request;
    request.user_name = "alice";
    request.user_id = "u-alice";
    request.code = std::move(code);
    request.new_password = std::string(kNewPassword);
    request.peer_address = "198.51.100.7";
    return request;
  }

  // The driver's way: the hash off the loop, the result posted back.
  LoginOutcome Activate(const ActivationRequest& request) {
    ActivationStep step = core_.BeginActivation(request);
    if (auto* outcome = std::get_if<LoginOutcome>(&step)) return *outcome;
    auto result = std::make_shared<Result<std::string>>(Status::Aborted("not run"));
    std::optional<LoginOutcome> outcome;
    env_.RunOffLoop([job = std::get<HashJob>(step), result] { *result = job.Run(); },
                    [&, result] { outcome = core_.AfterActivationHash(request, *result); });
    env_.RunUntilIdle();
    EXPECT_TRUE(outcome.has_value());
    return *outcome;
  }

  simulator::ManualEnv env_{51};
  AuthView view_;
  AuthProjection projection_{view_};
  eventlog::testing::MapProjectionState state_;
  LoginThrottle throttle_;
  LoginCore core_{env_, view_, throttle_};
  std::string code_;
};

TEST_F(ActivationLoginTest, ACodeSetsThePasswordThatThenWorksWithTheDirectoryDown) {
  LoginOutcome activated = Activate(Request(code_));
  ASSERT_EQ(activated.result, LoginResult::kSucceeded) << activated.reason;
  ASSERT_TRUE(activated.session.has_value());
  ASSERT_EQ(activated.events.size(), 4u);
  EXPECT_TRUE(activated.events[0].auth().has_activation_code_used());
  EXPECT_EQ(activated.events[1].auth().credential_cached().source(), CREDENTIAL_SOURCE_ACTIVATION);
  EXPECT_TRUE(activated.events[2].auth().has_session_started());
  EXPECT_EQ(activated.events[3].login_succeeded().method(), "activation-code");
  Commit(activated.events);

  LoginRequest login;
  login.user_name = "alice";
  login.user_id = "u-alice";
  login.password = std::string(kNewPassword);
  login.peer_address = "198.51.100.7";
  ASSERT_FALSE(core_.Admit(login).has_value());
  LoginStep step = core_.AfterDirectory(login, DirectoryAnswer::kUnavailable);
  ASSERT_TRUE(std::holds_alternative<VerifyJob>(step));
  EXPECT_EQ(core_.AfterVerify(login, std::get<VerifyJob>(step).Run()).result,
            LoginResult::kSucceeded);
}

TEST_F(ActivationLoginTest, ACodeWorksOnce) {
  LoginOutcome first = Activate(Request(code_));
  ASSERT_EQ(first.result, LoginResult::kSucceeded);
  Commit(first.events);
  LoginOutcome second = Activate(Request(code_));
  EXPECT_EQ(second.result, LoginResult::kFailed);
  EXPECT_FALSE(second.session.has_value());
}

TEST_F(ActivationLoginTest, TwoRacingRedemptionsOnOneNodeCannotBothSetAPassword) {
  ActivationStep first = core_.BeginActivation(Request(code_));
  ASSERT_TRUE(std::holds_alternative<HashJob>(first));
  ActivationStep second = core_.BeginActivation(Request(code_));
  ASSERT_TRUE(std::holds_alternative<LoginOutcome>(second));
  EXPECT_EQ(std::get<LoginOutcome>(second).result, LoginResult::kFailed);
  LoginOutcome done = core_.AfterActivationHash(Request(code_), std::get<HashJob>(first).Run());
  EXPECT_EQ(done.result, LoginResult::kSucceeded);
}

TEST_F(ActivationLoginTest, AShortNewPasswordOrAWrongCodeIsRefused) {
  ActivationRequest short_password = Request(code_);
  short_password.new_password = std::string(kPasswordBytesMin - 1, 'x');
  EXPECT_EQ(Activate(short_password).result, LoginResult::kInvalid);
  EXPECT_EQ(Activate(Request("00000-00000-00000-00000")).result, LoginResult::kFailed);
  ActivationRequest someone_else = Request(code_);
  someone_else.user_id = "u-bob";
  EXPECT_EQ(Activate(someone_else).result, LoginResult::kFailed);
  // The code is still good for its owner.
  EXPECT_EQ(Activate(Request(code_)).result, LoginResult::kSucceeded);
}

TEST_F(ActivationLoginTest, GuessingCodesIsThrottled) {
  for (uint32_t i = 0; i <= kPairFailuresFree; ++i) {
    ASSERT_EQ(Activate(Request("00000-00000-00000-0000" + std::to_string(i % 10))).result,
              LoginResult::kFailed);
  }
  EXPECT_EQ(Activate(Request(code_)).result, LoginResult::kThrottled);
}

TEST_F(ActivationLoginTest, AnExpiredCodeIsRefused) {
  env_.Advance(kOutOfBandCodeLifetime);
  EXPECT_EQ(Activate(Request(code_)).result, LoginResult::kFailed);
}

}  // namespace
}  // namespace lifeboat::auth
