#pragma once
// The headers every webmail response carries (issue 12 item 1; OWASP Secure Headers Project;
// Mozilla web security guidelines). The webmail shows mail written by attackers, so the page
// itself must run nothing it did not ship:
//   Content-Security-Policy   default-src 'none' and only 'self' for scripts, styles, fetches and
//                             the sandboxed mail frame; no plugins; no <base>; frame-ancestors
//                             'none' (no one frames us: clickjacking, CSP 3 section 6.4.2)
//   Strict-Transport-Security the browser never tries plain HTTP again (RFC 6797)
//   X-Content-Type-Options    nosniff: a text/plain attachment never runs as script
//   Referrer-Policy           no-referrer: no message URL leaks to a link's target
//   X-Frame-Options           DENY, for browsers without frame-ancestors
//   Cross-Origin-Opener-Policy / -Resource-Policy  same-origin: no window or resource sharing
//   Cache-Control             no-store on API answers: mail and tokens stay out of caches
// No Server or version header is added (and the driver must not add one).

#include <string_view>

#include "modules/webmail/http_message.h"

namespace lifeboat::webmail {

inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'; frame-ancestors 'none'";

// Sets the headers above on `response` (replacing any of the same name).
void AddSecurityHeaders(HttpResponse& response);

}  // namespace lifeboat::webmail
