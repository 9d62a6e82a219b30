#pragma once
// The headers an attachment download carries (issue 12: "one attachment at a time"), for a file
// name and a type an attacker chose:
//   Content-Disposition  attachment, never inline (RFC 6266 4.2), with a filename that names
//                        no path and holds no control characters (RFC 6266 4.3: "recipients
//                        should strip path information"; we do it ourselves), an ASCII
//                        fallback in `filename` and the UTF-8 name in `filename*` (RFC 8187);
//   Content-Type         the declared type only when it cannot run in a browser (images but SVG,
//                        PDF, plain text, audio, video); anything else is
//                        application/octet-stream;
//   Content-Security-Policy  "default-src 'none'; sandbox": even opened, it runs nothing.
// X-Content-Type-Options nosniff comes with the security headers.

#include <string>
#include <string_view>

#include "modules/webmail/http_message.h"

namespace lifeboat::webmail {

// Bytes of the file name kept (UTF-8, cut on a character boundary).
inline constexpr size_t kDownloadNameBytesMax = 200;

// `name` without any path, control characters, leading dots or trailing spaces; "attachment"
// when nothing is left.
std::string SafeDownloadName(std::string_view name);

// Sets the three headers above on `response` (after AddSecurityHeaders).
void SetAttachmentHeaders(HttpResponse& response, std::string_view name,
                          std::string_view content_type);

}  // namespace lifeboat::webmail
