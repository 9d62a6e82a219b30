#pragma once
// The "auth" projection: folds events.Event.auth (modules/auth/auth.proto) into the state
// LevelDB and keeps an AuthView current, changed only after its batch commits.
//
// Keys under p/auth/ (digests in lower-case hex):
//   user/<user id>            UserCredentials: latest verifier, TOTP key, last TOTP step used
//   code/<sha256 of code>     ActivationCodeRecord: owner, expiry, used or not
//   session/<sha256 of id>    SessionRecord of an open session; deleted by SessionEnded
//
// Rules the fold enforces, so that replay decides as the live node did:
//  - a code is used once: a second ActivationCodeUsed for it, or one naming another user, changes
//    nothing (two nodes may race to redeem it; the first committed wins);
//  - a TOTP step only moves forward.
// Time comes only from the event (CredentialCached and SessionStarted keep its timestamp).
//
// Open: as the directory projection, the caller feeds every stored key/value under p/auth/ to
// Restore() to refill the view, then the runner applies events after the applied index.

#include <string>
#include <string_view>
#include <vector>

#include "eventlog/projection.h"
#include "modules/auth/auth_view.h"

namespace lifeboat::auth {

class AuthProjection : public eventlog::Projection {
 public:
  // `view` must outlive the projection; the projection is its only writer.
  explicit AuthProjection(AuthView& view) : view_(view) {}

  std::string_view name() const override { return "auth"; }
  Status Apply(const events::Event& event, eventlog::ProjectionState& state) override;
  void OnBatchCommitted() override;
  void OnBatchDiscarded() override;

  // Refills the view from one stored key. Corruption when the key or value does not parse.
  Status Restore(std::string_view key, std::string_view value);

 private:
  Status ApplyChange(const AuthEvent& change, int64_t timestamp_unix_micros,
                     eventlog::ProjectionState& state);
  Result<UserCredentials> ReadUser(eventlog::ProjectionState& state, const std::string& user_id);
  void WriteUser(eventlog::ProjectionState& state, const std::string& user_id,
                 const UserCredentials& credentials);

  struct StagedChange {
    enum class Kind { kUser, kCode, kSessionPut, kSessionRemove } kind = Kind::kUser;
    std::string key;  // user id, or raw digest
    UserCredentials user;
    ActivationCodeRecord code;
    SessionRecord session;
  };

  AuthView& view_;
  std::vector<StagedChange> staged_;  // the runner's thread only
};

}  // namespace lifeboat::auth
