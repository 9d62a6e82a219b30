#include "modules/auth/session.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "appliance/env/check.h"
#include "modules/auth/auth_limits.h"
#include "modules/auth/secrets.h"

namespace lifeboat::auth {
namespace {

// Distinguishes this use of the id as an HMAC key from any other we may add.
constexpr std::string_view kCsrfLabel = "lifeboat csrf token v1";

}  // namespace

NewSession StartSession(Env& env, std::string_view user_id, std::string_view peer_address,
                        std::string_view method) {
  NewSession session;
  session.id = HexEncode(RandomBytes(env, kSessionIdBytes));
  session.event.set_session_id_sha256(SessionIdDigest(session.id));
  session.event.set_user_id(std::string(user_id));
  session.event.set_peer_address(std::string(peer_address));
  session.event.set_method(std::string(method));
  return session;
}

std::string SessionIdDigest(std::string_view session_id) {
  return Sha256(session_id);
}

std::optional<std::string> ParseSessionId(std::string_view cookie_value) {
  if (cookie_value.size() != 2 * kSessionIdBytes) return std::nullopt;
  for (char c : cookie_value) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return std::string(cookie_value);
}

std::string CsrfToken(std::string_view session_id) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_bytes = 0;
  LB_CHECK(HMAC(EVP_sha256(), session_id.data(), static_cast<int>(session_id.size()),
                reinterpret_cast<const unsigned char*>(kCsrfLabel.data()), kCsrfLabel.size(), mac,
                &mac_bytes) != nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(mac), mac_bytes));
}

bool CsrfTokenMatches(std::string_view session_id, std::string_view presented) {
  return ConstantTimeEquals(CsrfToken(session_id), presented);
}

std::string SessionCookie(std::string_view session_id) {
  return std::string(kSessionCookieName) + "=" + std::string(session_id) +
         "; Path=/; Secure; HttpOnly; SameSite=Strict";
}

std::string ClearedSessionCookie() {
  return std::string(kSessionCookieName) +
         "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0";
}

SessionActivity::SessionActivity() : seen_(kSessionActivityEntriesMax) {}

SessionCheck SessionActivity::Check(const std::string& digest,
                                    const std::optional<SessionRecord>& record,
                                    MonoTime now_monotonic, WallTime now_wall) {
  if (!record) {
    seen_.Erase(digest);
    return SessionCheck::kUnknown;
  }
  WallTime created(record->created_unix_micros());
  if (now_wall - created >= kSessionAbsoluteTimeout) return SessionCheck::kAbsoluteExpired;
  Seen& seen = seen_.Touch(digest);
  if (seen.valid && now_monotonic - seen.last >= kSessionIdleTimeout) {
    return SessionCheck::kIdleExpired;
  }
  seen.valid = true;
  seen.last = now_monotonic;
  return SessionCheck::kValid;
}

void SessionActivity::Forget(const std::string& digest) {
  seen_.Erase(digest);
}

}  // namespace lifeboat::auth
