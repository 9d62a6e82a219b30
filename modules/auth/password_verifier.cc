#include "modules/auth/password_verifier.h"

#include <argon2.h>

#include <charconv>
#include <vector>

#include "modules/auth/auth_limits.h"
#include "modules/auth/secrets.h"

namespace lifeboat::auth {
namespace {

constexpr std::string_view kPrefix = "$argon2id$v=19$";

bool WithinLimits(const Argon2Parameters& p) {
  return p.memory_kibibytes >= kArgon2MemoryKibibytesMin &&
         p.memory_kibibytes <= kArgon2MemoryKibibytesMax && p.iterations >= kArgon2IterationsMin &&
         p.iterations <= kArgon2IterationsMax && p.parallelism >= 1 &&
         p.parallelism <= kArgon2ParallelismMax;
}

// Reads "<name>=<decimal>" at the front of `text` and drops it (and a following ',').
bool TakeParameter(std::string_view& text, std::string_view name, uint32_t& value) {
  if (!text.starts_with(name) || text.size() <= name.size() || text[name.size()] != '=') {
    return false;
  }
  text.remove_prefix(name.size() + 1);
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<size_t>(end - text.data()));
  if (text.starts_with(',')) text.remove_prefix(1);
  return true;
}

}  // namespace

Argon2Parameters DefaultArgon2Parameters() {
  return Argon2Parameters{kArgon2MemoryKibibytes, kArgon2Iterations, kArgon2Parallelism};
}

std::string NewSalt(Env& env) {
  return RandomBytes(env, kArgon2SaltBytes);
}

Result<std::string> HashPassword(std::string_view password, std::string_view salt,
                                 const Argon2Parameters& parameters) {
  if (password.size() > kPasswordBytesMax) return Status::InvalidArgument("password too long");
  if (salt.size() != kArgon2SaltBytes) return Status::InvalidArgument("salt of the wrong size");
  if (!WithinLimits(parameters)) {
    return Status::InvalidArgument("Argon2id parameters outside the allowed range");
  }
  size_t encoded_bytes =
      argon2_encodedlen(parameters.iterations, parameters.memory_kibibytes, parameters.parallelism,
                        static_cast<uint32_t>(salt.size()), kArgon2HashBytes, Argon2_id);
  std::vector<char> encoded(encoded_bytes);
  int result = argon2id_hash_encoded(
      parameters.iterations, parameters.memory_kibibytes, parameters.parallelism, password.data(),
      password.size(), salt.data(), salt.size(), kArgon2HashBytes, encoded.data(), encoded.size());
  if (result != ARGON2_OK) {
    return Status::ResourceExhausted(std::string("argon2id: ") + argon2_error_message(result));
  }
  return std::string(encoded.data());
}

Result<ParsedVerifier> ParseVerifier(std::string_view phc) {
  if (!phc.starts_with(kPrefix)) return Status::InvalidArgument("not an Argon2id v19 verifier");
  std::string_view rest = phc.substr(kPrefix.size());
  ParsedVerifier parsed;
  if (!TakeParameter(rest, "m", parsed.parameters.memory_kibibytes) ||
      !TakeParameter(rest, "t", parsed.parameters.iterations) ||
      !TakeParameter(rest, "p", parsed.parameters.parallelism) || !rest.starts_with('$')) {
    return Status::InvalidArgument("Argon2id verifier: malformed parameters");
  }
  if (!WithinLimits(parsed.parameters)) {
    return Status::InvalidArgument("Argon2id verifier: parameters outside the allowed range");
  }
  rest.remove_prefix(1);
  size_t dollar = rest.find('$');
  if (dollar == std::string_view::npos)
    return Status::InvalidArgument("Argon2id verifier: no hash");
  std::optional<std::string> salt = Base64UnpaddedDecode(rest.substr(0, dollar));
  std::optional<std::string> hash = Base64UnpaddedDecode(rest.substr(dollar + 1));
  if (!salt || !hash || salt->size() < ARGON2_MIN_SALT_LENGTH || hash->size() < ARGON2_MIN_OUTLEN) {
    return Status::InvalidArgument("Argon2id verifier: bad salt or hash");
  }
  parsed.salt = std::move(*salt);
  parsed.hash = std::move(*hash);
  return parsed;
}

Result<bool> VerifyPassword(std::string_view password, std::string_view phc) {
  Result<ParsedVerifier> parsed = ParseVerifier(phc);
  if (!parsed.ok()) return parsed.status();
  if (password.size() > kPasswordBytesMax) return false;
  std::string computed(parsed->hash.size(), '\0');
  const Argon2Parameters& p = parsed->parameters;
  int result = argon2id_hash_raw(p.iterations, p.memory_kibibytes, p.parallelism, password.data(),
                                 password.size(), parsed->salt.data(), parsed->salt.size(),
                                 computed.data(), computed.size());
  if (result != ARGON2_OK) {
    return Status::ResourceExhausted(std::string("argon2id: ") + argon2_error_message(result));
  }
  return ConstantTimeEquals(computed, parsed->hash);
}

}  // namespace lifeboat::auth
