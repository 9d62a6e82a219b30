#pragma once
// What the SMTP client core asks its driver to do (sans-I/O output, STYLE.md rule 1), in the
// manner of modules/smtp/actions.h. Actions are produced only inside the client's calls; the
// driver takes them with TakeActions() after each call and performs them in order.

#include <string>
#include <variant>
#include <vector>

#include "appliance/env/env.h"

namespace lifeboat::delivery {

// Write these bytes to the primary (over TLS once it is established).
struct SendBytes {
  std::string bytes;
};

// Start the TLS handshake as client now (RFC 3207 4); then call OnTlsEstablished() or
// OnTlsFailed(). The driver verifies the certificate (configured CA or pin for a primary).
struct StartTls {};

// Close the connection (after flushing what was sent). Always the last action of a session.
struct CloseConnection {
  std::string reason;  // "QUIT answered", "timeout waiting for the greeting", ...
};

// Arm (or re-arm: the new time replaces the old) the one deadline of the session; when it
// passes, call OnDeadline(). A stale call is harmless: the client checks the time itself.
struct ArmDeadline {
  MonoTime deadline{0};
};

// The session is ready for a mail: call Send() (or Quit()). Also after every transaction.
struct ReadyForMail {};

enum class RecipientOutcome {
  kDelivered,  // the primary answered 2xx after the data: the mail is the primary's
  kRetry,      // 4xx, or no answer (timeout, lost connection, protocol error): try again later
  kBounce,     // 5xx: permanent, a DSN goes to the sender
};

struct RecipientResult {
  std::string recipient;
  RecipientOutcome outcome = RecipientOutcome::kRetry;
  int smtp_code = 0;  // the primary's reply code; 0 when the outcome was decided here
  std::string reply;  // the primary's reply text, or what happened ("timeout after ...")
  // The primary may hold the mail although the outcome says retry: the connection broke or
  // timed out after the final "." was sent. A retry may duplicate it (counted, issue #11).
  bool maybe_delivered = false;
};

// The end of one Send(): one result per recipient, in the envelope's order.
struct TransactionDone {
  std::vector<RecipientResult> results;
};

using ClientAction =
    std::variant<SendBytes, StartTls, CloseConnection, ArmDeadline, ReadyForMail, TransactionDone>;

}  // namespace lifeboat::delivery
