#include "modules/auth/auth_view.h"

#include <mutex>

namespace lifeboat::auth {
namespace {

template <typename Map>
std::optional<typename Map::mapped_type> Lookup(const Map& map, const std::string& key) {
  auto found = map.find(key);
  if (found == map.end()) return std::nullopt;
  return found->second;
}

}  // namespace

std::optional<UserCredentials> AuthView::Credentials(const std::string& user_id) const {
  std::shared_lock lock(mutex_);
  return Lookup(credentials_, user_id);
}

std::optional<ActivationCodeRecord> AuthView::Code(const std::string& code_sha256) const {
  std::shared_lock lock(mutex_);
  return Lookup(codes_, code_sha256);
}

std::optional<SessionRecord> AuthView::Session(const std::string& session_id_sha256) const {
  std::shared_lock lock(mutex_);
  return Lookup(sessions_, session_id_sha256);
}

size_t AuthView::session_count() const {
  std::shared_lock lock(mutex_);
  return sessions_.size();
}

void AuthView::PutCredentials(const std::string& user_id, UserCredentials credentials) {
  std::unique_lock lock(mutex_);
  credentials_[user_id] = std::move(credentials);
}

void AuthView::PutCode(const std::string& code_sha256, ActivationCodeRecord record) {
  std::unique_lock lock(mutex_);
  codes_[code_sha256] = std::move(record);
}

void AuthView::PutSession(const std::string& session_id_sha256, SessionRecord record) {
  std::unique_lock lock(mutex_);
  sessions_[session_id_sha256] = std::move(record);
}

void AuthView::RemoveSession(const std::string& session_id_sha256) {
  std::unique_lock lock(mutex_);
  sessions_.erase(session_id_sha256);
}

void AuthView::Clear() {
  std::unique_lock lock(mutex_);
  credentials_.clear();
  codes_.clear();
  sessions_.clear();
}

}  // namespace lifeboat::auth
