#pragma once
// The Received: trace header we prepend to every accepted message (RFC 5321 4.4), with the
// protocol names of RFC 3848 and RFC 6531 3.7.3 and the date-time of RFC 5322 3.3. Time comes
// from the caller (the wall time passed into the session): this file reads no clock.

#include <string>
#include <string_view>

#include "appliance/env/env.h"

namespace lifeboat::smtp {

struct TraceFacts {
  std::string_view helo;         // the EHLO/HELO argument, already validated
  std::string_view peer_ip;      // "192.0.2.1" or "2001:db8::1"
  std::string_view hostname;     // our name
  bool esmtp = false;            // EHLO rather than HELO
  bool smtputf8 = false;         // the transaction used SMTPUTF8
  std::string_view tls_version;  // "" when plaintext
  std::string_view tls_cipher;
  std::string_view single_recipient;  // "" unless exactly one: more would disclose the list
  WallTime when{0};
};

// "Received: from ... by ... with ESMTPS ...; Sat, 28 Nov 2026 19:06:43 +0000\r\n", folded.
std::string FormatReceivedHeader(const TraceFacts& facts);

// RFC 5322 3.3 date-time in UTC: "Sat, 28 Nov 2026 19:06:43 +0000".
std::string FormatRfc5322Date(WallTime when);

}  // namespace lifeboat::smtp
