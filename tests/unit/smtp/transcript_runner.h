#pragma once
// Runs a golden SMTP transcript (STYLE.md rule 10; Postfix smtpd_check.in/.ref) through a real
// Session and its default policy chain, with a manual clock and a fixed directory.
//
// .in syntax, one item per line:
//   # text              echoed as is (comments)
//   !set KEY VALUE      before the first client line: a limit, tls_available, trusted;
//                       peer_ip also between sessions
//   !raw BYTES          BYTES sent in one OnBytes call; escapes \r \n \t \\ \xNN
//   !commit ok [ID] | !commit io-error | !commit disk-full    answers the pending proposal
//   !tls                the TLS handshake finished (OnTlsEstablished)
//   !advance N(s|m)     moves the clock; fires OnDeadline when the armed deadline has passed
//   !deadline           prints the armed deadline, relative to now
//   !new-session [keep] ends the session (or, with keep, leaves it open); the next line opens
//                       another through SessionAdmission (rate and admission state are kept)
//   anything else       a client line (empty too), sent with CRLF in its own OnBytes call
// .ref: "C: " client input, "S: " server replies (one per line, CRLF removed, other control
// octets as \xNN), and actions in brackets: [starttls] [close] [propose ...] with the raw message.

#include <string>
#include <string_view>

namespace lifeboat::smtp::testing {

std::string RunTranscript(std::string_view input);

// A unified diff of two texts, line by line ("" when equal).
std::string UnifiedDiff(std::string_view expected, std::string_view actual,
                        std::string_view expected_name, std::string_view actual_name);

}  // namespace lifeboat::smtp::testing
