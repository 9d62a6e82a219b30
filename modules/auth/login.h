#pragma once
// The login decision core: login without AD (DESIGN.md "Webmail and access", issue 12).
//
// Sans-I/O. The caller (the webmail driver) owns every effect: it resolves the login name in the
// directory, does the LDAP bind, runs the Argon2 jobs off the loop (Env::RunOffLoop) and proposes
// the events the core returns. The core decides:
//
//   bind accepted             -> success, and a fresh verifier to cache (HashJob, then
//                                CredentialCached), so the same password works when AD is gone
//   bind rejected             -> failure
//   directory unavailable     -> the cached verifier decides (VerifyJob); none cached ->
//                                "needs activation" (a one-time code, activation_code.h)
//   password proven, TOTP on  -> the RFC 6238 code must match too (totp.h), once per step
//
// Activation (a user with nothing cached, directory down or never logged in): a one-time code
// (activation_code.h) plus the password the user chooses; the password is hashed off the loop
// and cached (CredentialCached, source ACTIVATION), the code marked used, a session started.
//
// and every attempt passes the throttle first (login_throttle.h). A success starts a new session
// (session.h: a fresh id at every login). Loop thread only; the core keeps no per-attempt state,
// so the caller passes the same LoginRequest to each step; the only exception is the set of
// activation codes being redeemed right now (so two racing redemptions on this node cannot both
// set a password; across nodes the projection lets only the first committed use count).

#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "eventlog/events.pb.h"
#include "modules/auth/auth_view.h"
#include "modules/auth/login_throttle.h"
#include "modules/auth/password_verifier.h"
#include "modules/auth/session.h"

namespace lifeboat::auth {

struct LoginRequest {
  std::string user_name;               // as typed
  std::optional<std::string> user_id;  // the directory entry it names; nullopt: nobody
  std::string password;
  std::optional<std::string> totp_code;
  std::string peer_address;  // the client's IP address, without port
};

// What the caller's LDAP bind said. kUnavailable also covers "no LDAP configured" and a bind that
// timed out: the directory cannot vouch for the password right now.
enum class DirectoryAnswer { kBindAccepted, kBindRejected, kUnavailable };

enum class LoginResult {
  kSucceeded,
  kFailed,           // wrong password, unknown user, wrong TOTP code: one answer for all
  kNeedsActivation,  // directory down and nothing cached for this user
  kNeedsTotp,        // password right, TOTP enrolled, no code given
  kThrottled,        // retry_after says when
  kInvalid,          // the request breaks an input limit (kInvalid is not counted as a failure)
  kUnavailable,      // our side failed (Argon2 could not run): nothing changed, try again
};

struct LoginOutcome {
  LoginResult result = LoginResult::kFailed;
  Duration retry_after{0};            // kThrottled
  std::string reason;                 // for the log and the operator, never shown to the user
  std::optional<NewSession> session;  // kSucceeded: set the cookie once `events` committed
  std::vector<events::Event> events;  // to propose, in order (no timestamp: the proposer sets it)
};

// Work to run off the loop, then hand back. Both own their inputs.
struct HashJob {
  std::string password;
  std::string salt;
  Argon2Parameters parameters;
  Result<std::string> Run() const { return HashPassword(password, salt, parameters); }
};
struct VerifyJob {
  std::string password;
  std::string verifier_phc;
  Result<bool> Run() const { return VerifyPassword(password, verifier_phc); }
};
using LoginStep = std::variant<LoginOutcome, HashJob, VerifyJob>;

struct ActivationRequest {
  std::string user_name;               // as typed
  std::optional<std::string> user_id;  // the directory entry it names; nullopt: nobody
  std::string code;                    // as typed
  std::string new_password;
  std::string peer_address;
};
using ActivationStep = std::variant<LoginOutcome, HashJob>;

class LoginCore {
 public:
  // `view` and `throttle` must outlive the core.
  LoginCore(Env& env, const AuthView& view, LoginThrottle& throttle);

  // Step 1: input limits and the throttle. nullopt: go on (bind, or skip it when the directory
  // is known down); otherwise the final outcome.
  std::optional<LoginOutcome> Admit(const LoginRequest& request);
  // Step 2: what the directory said. A LoginOutcome is final; a job goes off the loop and its
  // result comes back through AfterHash or AfterVerify.
  LoginStep AfterDirectory(const LoginRequest& request, DirectoryAnswer answer);
  // Step 3, after a bind was accepted: the new verifier, or why it could not be computed (the
  // login still succeeds; only the cache is not refreshed).
  LoginOutcome AfterHash(const LoginRequest& request, const Result<std::string>& verifier);
  // Step 3, directory down: whether the cached verifier matched.
  LoginOutcome AfterVerify(const LoginRequest& request, const Result<bool>& matched);

  // Activation, step 1: input limits (the new password at least kPasswordBytesMin), the
  // throttle, the code. A HashJob means the code is good: run it off the loop and call
  // AfterActivationHash exactly once with the same request.
  ActivationStep BeginActivation(const ActivationRequest& request);
  // Activation, step 2: the code is checked again (it may have been used meanwhile), then the
  // events: ActivationCodeUsed, CredentialCached, SessionStarted, LoginSucceeded.
  LoginOutcome AfterActivationHash(const ActivationRequest& request,
                                   const Result<std::string>& verifier);

 private:
  std::string AccountKey(const LoginRequest& request) const;
  LoginOutcome Fail(const LoginRequest& request, std::string reason);
  // Password proven by `method`: the TOTP step, then success with `extra` events first.
  LoginOutcome PasswordProven(const LoginRequest& request, std::string_view method,
                              std::vector<events::Event> extra);

  LoginOutcome FailActivation(const ActivationRequest& request, std::string reason);
  LoginOutcome Started(std::string_view user_id, std::string_view peer_address,
                       std::string_view method, std::vector<events::Event> events);

  Env& env_;
  const AuthView& view_;
  LoginThrottle& throttle_;
  std::set<std::string> codes_in_flight_;  // digests between BeginActivation and its hash
};

// An Event carrying `change` (the auth payload).
events::Event AuthEventOf(AuthEvent change);

}  // namespace lifeboat::auth
