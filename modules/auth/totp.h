#pragma once
// TOTP, RFC 6238 over HOTP (RFC 4226), HMAC-SHA1 (OpenSSL), T0 = 0, a 30 s step. Pure functions:
// the caller hands in the Unix time (from the Env's wall clock: TOTP is defined on it) and the
// last step it accepted for this user (the auth projection's UserCredentials.totp_last_step).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "appliance/env/env.h"
#include "modules/auth/auth.pb.h"

namespace lifeboat::auth {

// RFC 4226 section 5.3: dynamic truncation of HMAC-SHA1(key, counter), `digits` decimal digits
// with leading zeros. `digits` is 6 to 8 (RFC 4226 section 5.3 R4 asks at least 6; 8 fits 31 bits).
std::string HotpCode(std::string_view key, uint64_t counter, size_t digits);

// RFC 6238 section 4.2: T = floor((unix_seconds - T0) / X).
int64_t TotpStep(int64_t unix_seconds);

enum class TotpCheck {
  kAccepted,
  kWrongCode,  // not the code of any step in the window
  kReplayed,   // the code of a step at or before the last accepted one (RFC 6238 5.2)
  kMalformed,  // not kTotpDigits decimal digits
};

struct TotpResult {
  TotpCheck check = TotpCheck::kWrongCode;
  int64_t step = 0;  // kAccepted: the step it matched, to record as TotpStepUsed
};

// Checks `code` for the steps now-1, now, now+1 (RFC 6238 section 5.2 and 6: one step of network
// delay or clock drift either way). Every candidate is computed and compared in constant time,
// so the time taken does not say which step matched.
TotpResult CheckTotp(std::string_view key, std::string_view code, int64_t unix_seconds,
                     int64_t last_accepted_step);

// Enrolment: a new key, the URI to show as a QR code, and the event that turns TOTP on. The
// caller keeps the key with the pending enrolment and proposes the event only once the user
// typed a code CheckTotp accepts for it (proof the app holds the key: nobody locks themselves
// out by a scan that failed).
struct TotpEnrollment {
  std::string secret;
  std::string uri;
  TotpEnrolled event;
};
TotpEnrollment EnrollTotp(Env& env, std::string_view user_id, std::string_view issuer,
                          std::string_view account_label);

// kTotpSecretBytes random bytes from the Env's generator.
std::string NewTotpSecret(Env& env);
// The otpauth:// URI authenticator apps read (Google Authenticator "Key Uri Format").
std::string TotpProvisioningUri(std::string_view issuer, std::string_view account,
                                std::string_view key);

}  // namespace lifeboat::auth
