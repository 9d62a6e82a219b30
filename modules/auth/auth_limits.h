#pragma once
// Every limit of the login path, named with its unit last (STYLE.md rule 8), with where its
// value comes from. One place, so a review of the login policy reads one file.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace lifeboat::auth {

// ---- Input sizes (every external input has a limit: DESIGN.md "Security model") ---------------
inline constexpr size_t kUserNameBytesMax = 256;   // userPrincipalName is at most 1024 in AD; mail
                                                   // addresses 254 (RFC 5321 4.5.3.1.3 path - 2)
inline constexpr size_t kPasswordBytesMax = 1024;  // bounds the bytes Argon2 is fed per attempt
inline constexpr size_t kPasswordBytesMin = 12;    // passwords users set after activation:
                                                   // NIST SP 800-63B 5.1.1.2 asks >= 8; we ask 12

// ---- Argon2id (OWASP Password Storage Cheat Sheet, "Argon2id") ---------------------------------
// OWASP's first listed configuration, its minimum: m = 19 MiB, t = 2, p = 1. Measured here with
// libargon2 20171227 (2 cores, shared): 39.7 ms per hash, against 348 ms for t = 3, m = 64 MiB.
// The login storm target (issue 12: 1,000 users in one minute, p99 <= 2 s) needs ~17 hashes/s:
// 0.7 core-seconds per second at 19 MiB, but 5.8 at 64 MiB, more than the appliance has.
inline constexpr uint32_t kArgon2MemoryKibibytes = 19 * 1024;
inline constexpr uint32_t kArgon2Iterations = 2;
inline constexpr uint32_t kArgon2Parallelism = 1;
inline constexpr size_t kArgon2SaltBytes = 16;  // RFC 9106 3.1: 128 bits recommended
inline constexpr size_t kArgon2HashBytes = 32;  // RFC 9106 3.1: 256-bit tag
// A stored verifier weaker than this is refused (a downgrade written into the log).
inline constexpr uint32_t kArgon2MemoryKibibytesMin = 19 * 1024;
inline constexpr uint32_t kArgon2IterationsMin = 2;
// A stored verifier costlier than this is refused: the log must not make a login burn a worker.
inline constexpr uint32_t kArgon2MemoryKibibytesMax = 256 * 1024;
inline constexpr uint32_t kArgon2IterationsMax = 10;
inline constexpr uint32_t kArgon2ParallelismMax = 4;

// ---- Failed-attempt throttle (OWASP ASVS 4.0.3 V2.2.1) ----------------------------------------
// ASVS 2.2.1: "no more than 100 failed attempts per hour is possible on a single account", with
// controls that do not let an attacker lock the real user out. So nothing here is a lockout:
//  - per (account, address): kPairFailuresFree failures in the window, then each attempt waits
//    a backoff that doubles from kBackoffInitial up to kPairBackoffMax;
//  - per address, over every account (password spraying): kAddressFailuresFree failures in the
//    window, then the same doubling up to kAddressBackoffMax;
//  - per account, over every address: at kAccountFailuresPerWindowMax failures in the window,
//    only addresses the account logged in from before (its known addresses) may still try.
inline constexpr std::chrono::seconds kFailureWindow{3600};
inline constexpr uint32_t kPairFailuresFree = 5;
inline constexpr uint32_t kAddressFailuresFree = 20;
inline constexpr uint32_t kAccountFailuresPerWindowMax = 100;
inline constexpr std::chrono::seconds kBackoffInitial{1};
inline constexpr std::chrono::seconds kPairBackoffMax{900};
inline constexpr std::chrono::seconds kAddressBackoffMax{3600};
inline constexpr size_t kKnownAddressesPerAccountMax = 8;
inline constexpr std::chrono::hours kKnownAddressLifetime{24 * 30};
// Memory bound of each throttle table; the least recently touched entry is forgotten first.
inline constexpr size_t kThrottleEntriesMax = 100'000;

// ---- Activation codes -------------------------------------------------------------------------
// 20 Crockford base32 symbols = 100 bits: beyond guessing online (the throttle) and offline (its
// SHA-256 is stored, and 2^100 SHA-256 is out of reach, so no slow hash is needed).
inline constexpr size_t kActivationCodeSymbols = 20;
inline constexpr std::chrono::minutes kOutOfBandCodeLifetime{30};
inline constexpr std::chrono::hours kBreakGlassCodeLifetime{24 * 90};
inline constexpr size_t kBreakGlassCodesPerUserMax = 10;
inline constexpr size_t kBreakGlassUsersPerBatchMax = 100'000;

// ---- TOTP (RFC 6238) --------------------------------------------------------------------------
inline constexpr int64_t kTotpStepSeconds = 30;  // RFC 6238 section 5.2 recommends 30 s
inline constexpr int64_t kTotpWindowSteps = 1;   // section 5.2: at most one step back (and ahead)
inline constexpr size_t kTotpDigits = 6;
inline constexpr size_t kTotpSecretBytes = 20;  // RFC 4226 section 4 R6: 160 bits recommended

// ---- Sessions (OWASP ASVS 4.0.3 V3.3.2, level 2: 12 h absolute, 30 min idle) -----------------
inline constexpr std::chrono::minutes kSessionIdleTimeout{30};
inline constexpr std::chrono::hours kSessionAbsoluteTimeout{12};
inline constexpr size_t kSessionIdBytes = 16;  // 128 bits (ASVS V3.2.2 asks at least 64)
inline constexpr size_t kSessionActivityEntriesMax = 200'000;

}  // namespace lifeboat::auth
