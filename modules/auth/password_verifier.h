#pragma once
// Argon2id password verifiers (RFC 9106) in the PHC string format libargon2 writes:
//   $argon2id$v=19$m=19456,t=2,p=1$<salt, unpadded base64>$<hash, unpadded base64>
//
// Both functions are pure and CPU-heavy (about 40 ms at the parameters in auth_limits.h): the
// caller runs them off the loop (Env::RunOffLoop) and hands the result back to the login core.
// They own nothing and read no clock or random source: the salt is an argument, drawn by the
// caller from Env::RandomU64 (NewSalt).

#include <cstdint>
#include <string>
#include <string_view>

#include "appliance/env/env.h"
#include "appliance/env/status.h"

namespace lifeboat::auth {

struct Argon2Parameters {
  uint32_t memory_kibibytes = 0;
  uint32_t iterations = 0;
  uint32_t parallelism = 0;
};

// The parameters new verifiers get (auth_limits.h says why these).
Argon2Parameters DefaultArgon2Parameters();

// kArgon2SaltBytes random bytes from the Env's generator (a CSPRNG in production).
std::string NewSalt(Env& env);

// The PHC string of `password` under `salt`. InvalidArgument when the password or the salt is
// outside its limits or the parameters are below the minimum.
Result<std::string> HashPassword(std::string_view password, std::string_view salt,
                                 const Argon2Parameters& parameters);

// A stored verifier, parsed. Only Argon2id version 0x13 is accepted.
struct ParsedVerifier {
  Argon2Parameters parameters;
  std::string salt;
  std::string hash;
};
// InvalidArgument when `phc` is not an Argon2id v19 string, or its parameters are outside
// [kArgon2*Min, kArgon2*Max] (a weakened or DoS-sized verifier in the log is not trusted).
Result<ParsedVerifier> ParseVerifier(std::string_view phc);

// Whether `password` matches `phc`: the hash is recomputed with the verifier's own salt and
// parameters and compared in constant time (CRYPTO_memcmp). An error only when `phc` does not
// parse or Argon2 fails; a wrong password is a value, false.
Result<bool> VerifyPassword(std::string_view password, std::string_view phc);

}  // namespace lifeboat::auth
