#pragma once
// Every limit the SMTP client core enforces, as a named constant with its unit last (STYLE.md
// rule 8), and the ClientLimits struct the driver fills from configuration (defaults are these).

#include <chrono>
#include <cstdint>

#include "appliance/env/env.h"

namespace lifeboat::delivery {

using std::chrono_literals::operator""min;
using std::chrono_literals::operator""s;

// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets including the code and CRLF. Real
// servers exceed it in reply text now and then (long EHLO banners, policy URLs); we accept four
// times that, because a lenient reader costs nothing here, but a bound there must be: a primary
// that answers an endless line must not grow our buffer.
inline constexpr size_t kReplyLineBytesMax = 2048;
// Lines in one multiline reply. An EHLO reply lists a dozen extensions; 100 leaves room for
// verbose banners and stops a primary that never ends its reply.
inline constexpr size_t kReplyLinesMax = 100;
// Recipients in one transaction: RFC 5321 4.5.3.1.8 makes every server accept at least 100; the
// queue splits larger recipient lists into several transactions.
inline constexpr size_t kRecipientsPerTransactionMax = 100;
// RFC 5321 4.5.3.1.1-3: local part 64, domain 255 octets; a path with both and '@'.
inline constexpr size_t kAddressBytesMax = 64 + 1 + 255;

// RFC 5321 4.5.3.2: how long the client waits for each reply.
inline constexpr Duration kGreetingTimeout = 5min;          // 4.5.3.2.1: initial 220
inline constexpr Duration kMailTimeout = 5min;              // 4.5.3.2.2: MAIL (also EHLO, RSET)
inline constexpr Duration kRcptTimeout = 5min;              // 4.5.3.2.3
inline constexpr Duration kDataInitiationTimeout = 2min;    // 4.5.3.2.4: the 354
inline constexpr Duration kDataBlockTimeout = 3min;         // 4.5.3.2.5: see below
inline constexpr Duration kDataTerminationTimeout = 10min;  // 4.5.3.2.6: the 250 after "."
// Not in RFC 5321: the TLS handshake after "220 ready to start TLS". A minute is ample for a
// handshake on any link, and the primary's own idle timer would run longer.
inline constexpr Duration kTlsHandshakeTimeout = 60s;
// Not in RFC 5321: how long we wait for the 221 after QUIT before closing anyway. Politeness
// only: the transaction results are known by then.
inline constexpr Duration kQuitTimeout = 10s;
// An open connection with nothing to send is kept this long for reuse, then QUIT. A queue that
// drains sends its next mail within milliseconds; an idle connection holds one of the primary's
// session slots (Exchange limits connections per source), and the server may drop us after 5 min
// (4.5.3.2.7) anyway.
inline constexpr Duration kIdleTimeout = 10s;

struct ClientLimits {
  Duration greeting = kGreetingTimeout;
  Duration mail = kMailTimeout;
  Duration rcpt = kRcptTimeout;
  Duration data_initiation = kDataInitiationTimeout;
  // The driver's bound on a stalled write of the content (4.5.3.2.5: each TCP SEND of a data
  // block); the core hands the content over in one action and cannot see the socket drain.
  Duration data_block = kDataBlockTimeout;
  Duration data_termination = kDataTerminationTimeout;
  Duration tls_handshake = kTlsHandshakeTimeout;
  Duration quit = kQuitTimeout;
  Duration idle = kIdleTimeout;
};

}  // namespace lifeboat::delivery
