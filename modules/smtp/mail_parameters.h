#pragma once
// MAIL FROM and RCPT TO parameters (RFC 5321 4.1.2 Mail-parameters / Rcpt-parameters):
//   esmtp-param   = esmtp-keyword ["=" esmtp-value]
//   esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
//   esmtp-value   = 1*(%d33-60 / %d62-126)
// Supported on MAIL: SIZE= (RFC 1870 3), BODY=7BIT|8BITMIME (RFC 6152 2), SMTPUTF8 (RFC 6531 3.4).
// No RCPT parameter is supported (we do not advertise DSN).

#include <cstdint>
#include <optional>
#include <string_view>

#include "modules/smtp/reply.h"

namespace lifeboat::smtp {

struct MailParameters {
  std::optional<uint64_t> declared_size;  // SIZE=, the client's estimate in octets
  bool body_8bitmime = false;             // BODY=8BITMIME
  bool smtputf8 = false;                  // SMTPUTF8
};

// `text` is what follows the path's ">" ("" or " SIZE=100 BODY=8BITMIME"). `esmtp` is false
// after HELO: parameters need the extension to have been advertised (RFC 5321 4.1.1.11).
// On failure returns false and sets `*error` (555 for unknown, 501 for malformed).
bool ParseMailParameters(std::string_view text, bool esmtp, MailParameters* params, Reply* error);
bool ParseRcptParameters(std::string_view text, Reply* error);

}  // namespace lifeboat::smtp
