#pragma once
// One-time activation codes for users who never logged in (issue 12): sent out of band (SMS hook,
// private address) or printed by an administrator as break-glass lists (`lifeboat auth codes`).
//
// A code is 20 Crockford base32 symbols (100 bits from Env::RandomU64), shown in groups of five:
// "7QKM2-9XH4C-...". Only its SHA-256 is stored (ActivationCodeIssued); auth_limits.h says why a
// fast hash is enough at this entropy. It expires, and it is used once (ActivationCodeUsed, and
// the auth projection lets only the first committed use count).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "modules/auth/auth.pb.h"
#include "modules/auth/auth_view.h"

namespace lifeboat::auth {

// A code in its display form, and the event that records it (to propose).
struct IssuedCode {
  std::string code;  // the only copy: shown or sent once, never stored
  ActivationCodeIssued event;
};

// A new code for `user_id`, valid until now + the lifetime of `kind`.
IssuedCode IssueActivationCode(Env& env, std::string_view user_id, ActivationCodeKind kind,
                               WallTime now, std::string_view issued_by);

// The normalized form of what a user typed: upper case, separators (' ', '-') dropped, and the
// Crockford look-alikes mapped (O -> 0, I and L -> 1). nullopt when it is not a code.
std::optional<std::string> NormalizeActivationCode(std::string_view typed);

// SHA-256 of the normalized code: the key codes are stored and looked up under.
std::string ActivationCodeDigest(std::string_view normalized_code);

enum class CodeCheck { kAccepted, kUnknown, kWrongUser, kExpired, kUsed, kMalformed };

struct CodeRedemption {
  CodeCheck check = CodeCheck::kUnknown;
  ActivationCodeUsed event;  // kAccepted: to propose before the user may set a password
};

// Checks `typed` for `user_id` at `now` against the committed codes. kWrongUser, kUnknown and
// kMalformed are all failures the caller counts in the throttle; the caller shows the user one
// message for all of them.
CodeRedemption RedeemActivationCode(const AuthView& view, std::string_view user_id,
                                    std::string_view typed, WallTime now,
                                    std::string_view peer_address);

// A break-glass list: `codes_per_user` codes for each user, for `lifeboat auth codes` to print
// and propose. InvalidArgument beyond kBreakGlassCodesPerUserMax or kBreakGlassUsersPerBatchMax.
struct BreakGlassLine {
  std::string user_id;
  std::string code;
};
struct BreakGlassBatch {
  std::vector<BreakGlassLine> lines;         // in user order, then code order
  std::vector<ActivationCodeIssued> events;  // one per line
};
Result<BreakGlassBatch> GenerateBreakGlassCodes(Env& env, const std::vector<std::string>& user_ids,
                                                size_t codes_per_user, WallTime now,
                                                std::string_view operator_name);

}  // namespace lifeboat::auth
