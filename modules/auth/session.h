#pragma once
// Webmail sessions (OWASP ASVS 4.0.3 V3; OWASP Session Management Cheat Sheet):
//  - ids are 128 bits from Env::RandomU64 (a CSPRNG in production), a new one at every login so
//    an id planted before login is worth nothing (session fixation, ASVS V3.2.1);
//  - the log and the state know only SHA-256(id) (SessionStarted, SessionEnded): a copy of the
//    data directory opens no session;
//  - the CSRF token is HMAC-SHA256(id, label): bound to the session, unguessable without the id,
//    and never stored (the server recomputes it);
//  - timeouts: absolute from SessionStarted's timestamp (wall time, the only clock shared by every
//    node and surviving a restart), idle from the node's monotonic clock (SessionActivity);
//  - logout ends the session server-side (SessionEnded), so the old cookie stops working even if
//    the browser keeps it.

#include <optional>
#include <string>
#include <string_view>

#include "appliance/env/env.h"
#include "modules/auth/auth.pb.h"
#include "modules/auth/lru_table.h"

namespace lifeboat::auth {

// The cookie's name. The __Host- prefix makes the browser refuse it unless it is Secure, set by a
// secure origin, has Path=/ and no Domain (RFC 6265bis section 4.1.3.2): no subdomain can plant
// or overwrite it.
inline constexpr std::string_view kSessionCookieName = "__Host-lifeboat-session";

struct NewSession {
  std::string id;  // 32 lower-case hex digits; goes into the cookie only
  SessionStarted event;
};

// A fresh session for `user_id`, and its SessionStarted event to propose.
NewSession StartSession(Env& env, std::string_view user_id, std::string_view peer_address,
                        std::string_view method);

// SHA-256 of the id as the cookie carries it: the key in the view, the log and the state.
std::string SessionIdDigest(std::string_view session_id);

// nullopt unless `cookie_value` has the shape of an id (32 hex digits): nothing else is hashed
// or looked up.
std::optional<std::string> ParseSessionId(std::string_view cookie_value);

// The session's CSRF token (64 hex digits) and its check, in constant time.
std::string CsrfToken(std::string_view session_id);
bool CsrfTokenMatches(std::string_view session_id, std::string_view presented);

// "Set-Cookie" values. Secure; HttpOnly (no script reads it); SameSite=Strict (no cross-site
// request carries it, RFC 6265bis 8.8); Path=/ and no Domain (the __Host- rules). No Max-Age:
// the cookie lives as long as the browser session, the server decides validity.
std::string SessionCookie(std::string_view session_id);
// Asks the browser to drop the cookie (logout): same attributes, empty value, Max-Age=0.
std::string ClearedSessionCookie();

enum class SessionCheck { kValid, kUnknown, kIdleExpired, kAbsoluteExpired };

// When the node last saw each session used; in memory, bounded, loop thread only. A session the
// node has not seen yet (a restart, another node's login) counts as active from `now` on: the
// absolute timeout still bounds it.
class SessionActivity {
 public:
  SessionActivity();
  // Whether `record` (the committed session for `digest`, or nullopt) may serve a request at
  // `now`. kValid also counts as activity.
  SessionCheck Check(const std::string& digest, const std::optional<SessionRecord>& record,
                     MonoTime now_monotonic, WallTime now_wall);
  void Forget(const std::string& digest);

 private:
  struct Seen {
    MonoTime last{0};
    bool valid = false;
  };
  LruTable<Seen> seen_;
};

}  // namespace lifeboat::auth
