#include "modules/auth/activation_code.h"

#include "modules/auth/auth_limits.h"
#include "modules/auth/secrets.h"

namespace lifeboat::auth {
namespace {

// Crockford's base32: digits and letters without I, L, O, U
// (https://www.crockford.com/base32.html).
constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kGroupSymbols = 5;

std::string NewCode(Env& env) {
  std::string code;
  uint64_t bits = 0;
  int bits_left = 0;
  while (code.size() < kActivationCodeSymbols) {
    if (bits_left < 5) {
      bits = env.RandomU64();
      bits_left = 64;
    }
    code += kCrockford[bits & 0x1f];
    bits >>= 5;
    bits_left -= 5;
  }
  return code;
}

std::string Grouped(std::string_view code) {
  std::string out;
  for (size_t i = 0; i < code.size(); ++i) {
    if (i > 0 && i % kGroupSymbols == 0) out += '-';
    out += code[i];
  }
  return out;
}

WallTime Lifetime(ActivationCodeKind kind) {
  return kind == ACTIVATION_CODE_KIND_BREAK_GLASS
             ? std::chrono::duration_cast<WallTime>(kBreakGlassCodeLifetime)
             : std::chrono::duration_cast<WallTime>(kOutOfBandCodeLifetime);
}

}  // namespace

IssuedCode IssueActivationCode(Env& env, std::string_view user_id, ActivationCodeKind kind,
                               WallTime now, std::string_view issued_by) {
  std::string code = NewCode(env);
  IssuedCode issued;
  issued.event.set_user_id(std::string(user_id));
  issued.event.set_code_sha256(ActivationCodeDigest(code));
  issued.event.set_expires_unix_micros((now + Lifetime(kind)).count());
  issued.event.set_kind(kind);
  issued.event.set_issued_by(std::string(issued_by));
  issued.code = Grouped(code);
  return issued;
}

std::optional<std::string> NormalizeActivationCode(std::string_view typed) {
  if (typed.size() > 2 * kActivationCodeSymbols) return std::nullopt;
  std::string out;
  for (char c : typed) {
    if (c == ' ' || c == '-') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    if (kCrockford.find(c) == std::string_view::npos) return std::nullopt;
    out += c;
  }
  if (out.size() != kActivationCodeSymbols) return std::nullopt;
  return out;
}

std::string ActivationCodeDigest(std::string_view normalized_code) {
  return Sha256(normalized_code);
}

CodeRedemption RedeemActivationCode(const AuthView& view, std::string_view user_id,
                                    std::string_view typed, WallTime now,
                                    std::string_view peer_address) {
  CodeRedemption redemption;
  std::optional<std::string> normalized = NormalizeActivationCode(typed);
  if (!normalized) {
    redemption.check = CodeCheck::kMalformed;
    return redemption;
  }
  std::string digest = ActivationCodeDigest(*normalized);
  // The lookup is by digest: the map's comparisons see only the hash of the secret.
  std::optional<ActivationCodeRecord> record = view.Code(digest);
  if (!record) {
    redemption.check = CodeCheck::kUnknown;
  } else if (record->user_id() != user_id) {
    redemption.check = CodeCheck::kWrongUser;
  } else if (record->used()) {
    redemption.check = CodeCheck::kUsed;
  } else if (now.count() >= record->expires_unix_micros()) {
    redemption.check = CodeCheck::kExpired;
  } else {
    redemption.check = CodeCheck::kAccepted;
    redemption.event.set_user_id(std::string(user_id));
    redemption.event.set_code_sha256(digest);
    redemption.event.set_peer_address(std::string(peer_address));
  }
  return redemption;
}

Result<BreakGlassBatch> GenerateBreakGlassCodes(Env& env, const std::vector<std::string>& user_ids,
                                                size_t codes_per_user, WallTime now,
                                                std::string_view operator_name) {
  if (codes_per_user == 0 || codes_per_user > kBreakGlassCodesPerUserMax) {
    return Status::InvalidArgument("codes per user must be 1 to " +
                                   std::to_string(kBreakGlassCodesPerUserMax));
  }
  if (user_ids.empty() || user_ids.size() > kBreakGlassUsersPerBatchMax) {
    return Status::InvalidArgument("a batch holds 1 to " +
                                   std::to_string(kBreakGlassUsersPerBatchMax) + " users");
  }
  BreakGlassBatch batch;
  std::string issued_by = "operator " + std::string(operator_name);
  for (const std::string& user_id : user_ids) {
    if (user_id.empty()) return Status::InvalidArgument("empty user id");
    for (size_t i = 0; i < codes_per_user; ++i) {
      IssuedCode issued =
          IssueActivationCode(env, user_id, ACTIVATION_CODE_KIND_BREAK_GLASS, now, issued_by);
      batch.lines.push_back({user_id, std::move(issued.code)});
      batch.events.push_back(std::move(issued.event));
    }
  }
  return batch;
}

}  // namespace lifeboat::auth
