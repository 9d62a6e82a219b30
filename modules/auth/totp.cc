#include "modules/auth/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "appliance/env/check.h"
#include "modules/auth/auth_limits.h"
#include "modules/auth/secrets.h"

namespace lifeboat::auth {
namespace {

// Unreserved characters pass (RFC 3986 2.3); everything else is percent-encoded.
std::string PercentEncode(std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xf];
    }
  }
  return out;
}

}  // namespace

std::string HotpCode(std::string_view key, uint64_t counter, size_t digits) {
  LB_CHECK(digits >= 6 && digits <= 8);
  unsigned char message[8];
  for (int i = 7; i >= 0; --i) {  // the counter, big-endian (RFC 4226 section 5.1)
    message[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_bytes = 0;
  LB_CHECK(HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message, sizeof(message), mac,
                &mac_bytes) != nullptr);
  LB_CHECK(mac_bytes == 20);
  int offset = mac[19] & 0x0f;  // RFC 4226 section 5.3, dynamic truncation
  uint32_t binary = (uint32_t{mac[offset]} & 0x7f) << 24 | uint32_t{mac[offset + 1]} << 16 |
                    uint32_t{mac[offset + 2]} << 8 | uint32_t{mac[offset + 3]};
  uint32_t modulus = 1;
  for (size_t i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  return std::string(digits - code.size(), '0') + code;
}

int64_t TotpStep(int64_t unix_seconds) {
  LB_CHECK(unix_seconds >= 0);
  return unix_seconds / kTotpStepSeconds;
}

TotpResult CheckTotp(std::string_view key, std::string_view code, int64_t unix_seconds,
                     int64_t last_accepted_step) {
  if (code.size() != kTotpDigits) return {TotpCheck::kMalformed, 0};
  for (char c : code) {
    if (c < '0' || c > '9') return {TotpCheck::kMalformed, 0};
  }
  int64_t now_step = TotpStep(unix_seconds);
  std::optional<int64_t> matched;
  for (int64_t step = now_step - kTotpWindowSteps; step <= now_step + kTotpWindowSteps; ++step) {
    if (step < 0) continue;
    bool equal = ConstantTimeEquals(HotpCode(key, static_cast<uint64_t>(step), kTotpDigits), code);
    if (equal && !matched) matched = step;
  }
  if (!matched) return {TotpCheck::kWrongCode, 0};
  if (*matched <= last_accepted_step) return {TotpCheck::kReplayed, *matched};
  return {TotpCheck::kAccepted, *matched};
}

std::string NewTotpSecret(Env& env) {
  return RandomBytes(env, kTotpSecretBytes);
}

TotpEnrollment EnrollTotp(Env& env, std::string_view user_id, std::string_view issuer,
                          std::string_view account_label) {
  TotpEnrollment enrollment;
  enrollment.secret = NewTotpSecret(env);
  enrollment.uri = TotpProvisioningUri(issuer, account_label, enrollment.secret);
  enrollment.event.set_user_id(std::string(user_id));
  enrollment.event.set_secret(enrollment.secret);
  return enrollment;
}

std::string TotpProvisioningUri(std::string_view issuer, std::string_view account,
                                std::string_view key) {
  std::string label = PercentEncode(issuer) + ":" + PercentEncode(account);
  return "otpauth://totp/" + label + "?secret=" + Base32Encode(key) +
         "&issuer=" + PercentEncode(issuer) +
         "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) +
         "&period=" + std::to_string(kTotpStepSeconds);
}

}  // namespace lifeboat::auth
