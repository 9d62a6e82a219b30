#pragma once
// What the SMTP session asks its driver to do (sans-I/O output, STYLE.md rule 1). The session
// produces actions only inside its On...() calls; the driver takes them with TakeActions() after
// each call and performs them in order. Every action owns its data.

#include <string>
#include <variant>
#include <vector>

#include "appliance/env/env.h"

namespace lifeboat::smtp {

// Write these bytes to the peer (over TLS once it is established).
struct SendBytes {
  std::string bytes;
};

// Start the TLS handshake as server now (RFC 3207 4.2). Until OnTlsEstablished() the session
// discards whatever bytes it is given: they are plaintext sent before the handshake.
struct StartTls {};

// Flush what was sent, then close the connection. Always the last action of a session.
struct CloseConnection {};

// Arm (or re-arm: the new time replaces the old) the one session deadline. When it passes, call
// OnDeadline(). A stale or early call is harmless: the session checks the time itself.
struct ArmDeadline {
  MonoTime deadline{0};
};

// Everything known about an accepted message: the envelope, the bytes, the facts of the session.
// Maps one-to-one onto events::MailReceived; the driver picks mail_id and proposes the event.
struct MailProposal {
  std::string mail_from;             // "" for the null reverse-path <>
  std::vector<std::string> rcpt_to;  // accepted forward-paths, in RCPT order
  std::string raw;                   // Received: header + content, dot-unstuffed, CRLF lines
  std::string helo;
  std::string peer_address;  // "ip:port" ("[ip]:port" for IPv6)
  std::string tls_version;   // "" when plaintext
  std::string tls_cipher;
  bool smtputf8 = false;
  bool body_8bitmime = false;
};

// Append the message to the log. The session says nothing more to the client until the driver
// calls OnMailCommitted() (DESIGN.md "Data path" 3: 250 only after the commit).
struct ProposeMail {
  MailProposal mail;
};

using Action = std::variant<SendBytes, StartTls, CloseConnection, ArmDeadline, ProposeMail>;

// How the proposal ended, as the driver learned it.
enum class CommitOutcome {
  kCommitted,     // fsynced and replicated: 250 2.0.0
  kStorageError,  // the append failed or timed out: 451 4.3.0, the client retries
  kDiskReserve,   // refused to protect the disk reserve: 452 4.3.1 (RFC 3463 X.3.1)
};

// Facts of the TLS session, reported by the driver once the handshake finished.
struct TlsFacts {
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_256_GCM_SHA384"
};

}  // namespace lifeboat::smtp
