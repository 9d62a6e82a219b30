#pragma once
// Limits of the webmail request core, named with their unit last (STYLE.md rule 8). The HTTP
// driver (evhttp) enforces its own header and body caps before a request reaches the core; these
// are the core's, checked again so the core is safe whatever drives it (the simulator too).

#include <cstddef>

namespace lifeboat::webmail {

inline constexpr size_t kRequestTargetBytesMax = 2048;  // RFC 9112 3: at least 8000 should be
                                                        // accepted; our API needs far less
inline constexpr size_t kRequestHeadersMax = 100;
inline constexpr size_t kApiBodyBytesMax = 64 * 1024;   // JSON bodies (login, flags, moves)
inline constexpr size_t kLoginBodyBytesMax = 4 * 1024;  // user + password + code fit easily

// Strict-Transport-Security max-age: two years (Mozilla web security guidelines; the HSTS
// preload list asks at least one year).
inline constexpr long kHstsMaxAgeSeconds = 63'072'000;

}  // namespace lifeboat::webmail
