#include "modules/auth/login.h"

#include "modules/ascii/ascii_case.h"
#include "modules/auth/activation_code.h"
#include "modules/auth/auth_limits.h"
#include "modules/auth/secrets.h"
#include "modules/auth/totp.h"

namespace lifeboat::auth {
namespace {

// A verifier at the default parameters. A login for a name nobody has, while the directory is
// down, still costs one verification against it, so the answer's timing does not tell which
// names exist; AfterVerify fails such a login whether or not the password matches.
constexpr std::string_view kDecoyVerifier =
    "$argon2id$v=19$m=19456,t=2,p=1$AQAAAAAAAAAAAAAAAAAAAA$eq4QlgNcTIn0URPhr3hul5BJY0DxHejEuxv5a7O+"
    "kI4";

bool HasControlCharacter(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

events::Event AuthEventOf(AuthEvent change) {
  events::Event event;
  *event.mutable_auth() = std::move(change);
  return event;
}

LoginCore::LoginCore(Env& env, const AuthView& view, LoginThrottle& throttle)
    : env_(env), view_(view), throttle_(throttle) {}

std::string LoginCore::AccountKey(const LoginRequest& request) const {
  // The directory id when the name resolves, so every spelling of one account shares a budget.
  return request.user_id ? "id:" + *request.user_id : "name:" + ascii::Lower(request.user_name);
}

std::optional<LoginOutcome> LoginCore::Admit(const LoginRequest& request) {
  LoginOutcome outcome;
  outcome.result = LoginResult::kInvalid;
  if (request.user_name.empty() || request.user_name.size() > kUserNameBytesMax ||
      HasControlCharacter(request.user_name) || HasControlCharacter(request.peer_address)) {
    outcome.reason = "malformed user name";
    return outcome;
  }
  // An empty password must never reach the bind: LDAP treats a simple bind with a name and no
  // password as an unauthenticated bind and answers success (RFC 4513 section 5.1.2).
  if (request.password.empty() || request.password.size() > kPasswordBytesMax) {
    outcome.reason = "password empty or too long";
    return outcome;
  }
  ThrottleVerdict verdict =
      throttle_.Check(AccountKey(request), request.peer_address, env_.MonotonicNow());
  if (!verdict.allowed) {
    outcome.result = LoginResult::kThrottled;
    outcome.retry_after = verdict.retry_after;
    outcome.reason = verdict.reason;
    return outcome;
  }
  return std::nullopt;
}

LoginStep LoginCore::AfterDirectory(const LoginRequest& request, DirectoryAnswer answer) {
  switch (answer) {
    case DirectoryAnswer::kBindAccepted:
      LB_CHECK(request.user_id.has_value());  // the caller bound as someone
      return HashJob{request.password, NewSalt(env_), DefaultArgon2Parameters()};
    case DirectoryAnswer::kBindRejected:
      return LoginStep(Fail(request, "directory rejected the bind"));
    case DirectoryAnswer::kUnavailable:
      break;
  }
  if (!request.user_id) return VerifyJob{request.password, std::string(kDecoyVerifier)};
  std::optional<UserCredentials> credentials = view_.Credentials(*request.user_id);
  if (!credentials || credentials->verifier_phc().empty()) {
    LoginOutcome outcome;
    outcome.result = LoginResult::kNeedsActivation;
    outcome.reason = "directory unavailable and no cached verifier";
    return outcome;
  }
  return VerifyJob{request.password, credentials->verifier_phc()};
}

LoginOutcome LoginCore::AfterHash(const LoginRequest& request,
                                  const Result<std::string>& verifier) {
  std::vector<events::Event> extra;
  if (verifier.ok()) {
    AuthEvent change;
    CredentialCached* cached = change.mutable_credential_cached();
    cached->set_user_id(*request.user_id);
    cached->set_verifier_phc(*verifier);
    cached->set_source(CREDENTIAL_SOURCE_LDAP_BIND);
    extra.push_back(AuthEventOf(std::move(change)));
  }
  LoginOutcome outcome = PasswordProven(request, "ldap-bind", std::move(extra));
  if (!verifier.ok()) outcome.reason = "verifier not cached: " + verifier.status().ToString();
  return outcome;
}

LoginOutcome LoginCore::AfterVerify(const LoginRequest& request, const Result<bool>& matched) {
  if (!request.user_id) return Fail(request, "unknown user");
  if (!matched.ok())
    return Fail(request, "cached verifier unusable: " + matched.status().ToString());
  if (!*matched) return Fail(request, "password does not match the cached verifier");
  return PasswordProven(request, "cached-verifier", {});
}

LoginOutcome LoginCore::Fail(const LoginRequest& request, std::string reason) {
  throttle_.RecordFailure(AccountKey(request), request.peer_address, env_.MonotonicNow());
  LoginOutcome outcome;
  outcome.result = LoginResult::kFailed;
  events::Event event;
  events::LoginFailed* failed = event.mutable_login_failed();
  failed->set_user_name(request.user_name);
  failed->set_reason(reason);
  failed->set_peer_address(request.peer_address);
  outcome.events.push_back(std::move(event));
  outcome.reason = std::move(reason);
  return outcome;
}

LoginOutcome LoginCore::PasswordProven(const LoginRequest& request, std::string_view method,
                                       std::vector<events::Event> extra) {
  LoginOutcome outcome;
  outcome.events = std::move(extra);
  std::optional<UserCredentials> credentials = view_.Credentials(*request.user_id);
  if (credentials && !credentials->totp_secret().empty()) {
    if (!request.totp_code) {
      // The password was right: no failure to count, but nothing opens without the code. The
      // refreshed verifier is still cached.
      outcome.result = LoginResult::kNeedsTotp;
      outcome.reason = "TOTP code required";
      return outcome;
    }
    int64_t unix_seconds = std::chrono::duration_cast<std::chrono::seconds>(env_.WallNow()).count();
    TotpResult totp = CheckTotp(credentials->totp_secret(), *request.totp_code, unix_seconds,
                                credentials->totp_last_step());
    if (totp.check != TotpCheck::kAccepted) {
      LoginOutcome failed =
          Fail(request,
               totp.check == TotpCheck::kReplayed ? "TOTP code already used" : "wrong TOTP code");
      failed.events.insert(failed.events.begin(), outcome.events.begin(), outcome.events.end());
      return failed;
    }
    AuthEvent change;
    change.mutable_totp_step_used()->set_user_id(*request.user_id);
    change.mutable_totp_step_used()->set_step(totp.step);
    outcome.events.push_back(AuthEventOf(std::move(change)));
  }
  throttle_.RecordSuccess(AccountKey(request), request.peer_address, env_.MonotonicNow());
  return Started(*request.user_id, request.peer_address, method, std::move(outcome.events));
}

LoginOutcome LoginCore::Started(std::string_view user_id, std::string_view peer_address,
                                std::string_view method, std::vector<events::Event> events) {
  LoginOutcome outcome;
  outcome.events = std::move(events);
  NewSession session = StartSession(env_, user_id, peer_address, method);
  AuthEvent started;
  *started.mutable_session_started() = session.event;
  outcome.events.push_back(AuthEventOf(std::move(started)));
  events::Event succeeded;
  events::LoginSucceeded* login = succeeded.mutable_login_succeeded();
  login->set_user_id(std::string(user_id));
  login->set_method(std::string(method));
  login->set_peer_address(std::string(peer_address));
  login->set_session_id_hash(HexEncode(session.event.session_id_sha256()));
  outcome.events.push_back(std::move(succeeded));
  outcome.result = LoginResult::kSucceeded;
  outcome.session = std::move(session);
  return outcome;
}

ActivationStep LoginCore::BeginActivation(const ActivationRequest& request) {
  LoginRequest as_login;
  as_login.user_name = request.user_name;
  as_login.user_id = request.user_id;
  as_login.password = request.new_password;
  as_login.peer_address = request.peer_address;
  if (std::optional<LoginOutcome> refused = Admit(as_login)) return *refused;
  if (request.new_password.size() < kPasswordBytesMin) {
    LoginOutcome outcome;
    outcome.result = LoginResult::kInvalid;
    outcome.reason = "new password shorter than " + std::to_string(kPasswordBytesMin) + " bytes";
    return outcome;
  }
  if (!request.user_id) return FailActivation(request, "unknown user");
  CodeRedemption redemption = RedeemActivationCode(view_, *request.user_id, request.code,
                                                   env_.WallNow(), request.peer_address);
  if (redemption.check != CodeCheck::kAccepted) {
    return FailActivation(request, "activation code refused");
  }
  if (!codes_in_flight_.insert(redemption.event.code_sha256()).second) {
    return FailActivation(request, "activation code already being redeemed");
  }
  return HashJob{request.new_password, NewSalt(env_), DefaultArgon2Parameters()};
}

LoginOutcome LoginCore::AfterActivationHash(const ActivationRequest& request,
                                            const Result<std::string>& verifier) {
  LB_CHECK(request.user_id.has_value());
  std::optional<std::string> normalized = NormalizeActivationCode(request.code);
  LB_CHECK(normalized.has_value());  // BeginActivation accepted it
  LB_CHECK(codes_in_flight_.erase(ActivationCodeDigest(*normalized)) == 1);
  if (!verifier.ok()) {
    LoginOutcome outcome;
    outcome.result = LoginResult::kUnavailable;
    outcome.reason = "verifier not computed: " + verifier.status().ToString();
    return outcome;
  }
  CodeRedemption redemption = RedeemActivationCode(view_, *request.user_id, request.code,
                                                   env_.WallNow(), request.peer_address);
  if (redemption.check != CodeCheck::kAccepted) {
    return FailActivation(request, "activation code refused");
  }
  std::vector<events::Event> events;
  AuthEvent used;
  *used.mutable_activation_code_used() = redemption.event;
  events.push_back(AuthEventOf(std::move(used)));
  AuthEvent cached;
  cached.mutable_credential_cached()->set_user_id(*request.user_id);
  cached.mutable_credential_cached()->set_verifier_phc(*verifier);
  cached.mutable_credential_cached()->set_source(CREDENTIAL_SOURCE_ACTIVATION);
  events.push_back(AuthEventOf(std::move(cached)));
  throttle_.RecordSuccess("id:" + *request.user_id, request.peer_address, env_.MonotonicNow());
  return Started(*request.user_id, request.peer_address, "activation-code", std::move(events));
}

LoginOutcome LoginCore::FailActivation(const ActivationRequest& request, std::string reason) {
  LoginRequest as_login;
  as_login.user_name = request.user_name;
  as_login.user_id = request.user_id;
  as_login.peer_address = request.peer_address;
  return Fail(as_login, std::move(reason));
}

}  // namespace lifeboat::auth
