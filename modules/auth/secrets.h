#pragma once
// The secrets the auth core draws (from the Env's generator: a CSPRNG in production, a seeded
// one in the simulator), their digests and their text forms: hex (session ids, digests in keys),
// unpadded base64 (the salt and hash fields of a PHC string, as libargon2 writes them) and
// RFC 4648 base32 (TOTP keys as authenticator apps take them).

#include <optional>
#include <string>
#include <string_view>

#include "appliance/env/env.h"

namespace lifeboat::auth {

// `count` random bytes from Env::RandomU64.
std::string RandomBytes(Env& env, size_t count);

std::string HexEncode(std::string_view bytes);  // lower case
std::optional<std::string> HexDecode(std::string_view hex);

// RFC 4648 section 4 alphabet without '=' padding (the PHC string format's "B64").
std::optional<std::string> Base64UnpaddedDecode(std::string_view text);

// RFC 4648 section 6 alphabet without '=' padding ("otpauth://" URIs omit it).
std::string Base32Encode(std::string_view bytes);

// SHA-256 of `bytes` (32 raw bytes).
std::string Sha256(std::string_view bytes);

// Compares in time that depends on the sizes only, not on where the bytes differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace lifeboat::auth
