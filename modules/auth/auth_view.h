#pragma once
// What the login path reads while it runs: the latest verifier, TOTP key and last TOTP step per
// user, activation codes by digest, open sessions by digest. The "auth" projection is its only
// writer and shows a change only once its batch committed (eventlog/projection.h).
//
// Thread-safe: the projection writes from the runner's thread while the loop reads. Readers get
// copies, never references into the maps.

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>

#include "modules/auth/auth.pb.h"

namespace lifeboat::auth {

class AuthView {
 public:
  std::optional<UserCredentials> Credentials(const std::string& user_id) const;
  std::optional<ActivationCodeRecord> Code(const std::string& code_sha256) const;
  std::optional<SessionRecord> Session(const std::string& session_id_sha256) const;
  size_t session_count() const;

  // The projection's side.
  void PutCredentials(const std::string& user_id, UserCredentials credentials);
  void PutCode(const std::string& code_sha256, ActivationCodeRecord record);
  void PutSession(const std::string& session_id_sha256, SessionRecord record);
  void RemoveSession(const std::string& session_id_sha256);
  void Clear();

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, UserCredentials> credentials_;
  std::map<std::string, ActivationCodeRecord> codes_;
  std::map<std::string, SessionRecord> sessions_;
};

}  // namespace lifeboat::auth
