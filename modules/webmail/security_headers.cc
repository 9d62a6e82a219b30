#include "modules/webmail/security_headers.h"

#include <string>

#include "modules/webmail/webmail_limits.h"

namespace lifeboat::webmail {

void AddSecurityHeaders(HttpResponse& response) {
  response.SetHeader("Content-Security-Policy", kContentSecurityPolicy);
  response.SetHeader("Strict-Transport-Security",
                     "max-age=" + std::to_string(kHstsMaxAgeSeconds) + "; includeSubDomains");
  response.SetHeader("X-Content-Type-Options", "nosniff");
  response.SetHeader("Referrer-Policy", "no-referrer");
  response.SetHeader("X-Frame-Options", "DENY");
  response.SetHeader("Cross-Origin-Opener-Policy", "same-origin");
  response.SetHeader("Cross-Origin-Resource-Policy", "same-origin");
  response.SetHeader("Cache-Control", "no-store");
}

}  // namespace lifeboat::webmail
