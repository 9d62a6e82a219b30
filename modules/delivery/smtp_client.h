#pragma once
// The SMTP client as a sans-I/O state machine (STYLE.md rule 1): relays mail to a primary (and,
// later, to internet MX hosts). RFC 5321 with EHLO and the HELO fallback (3.2), PIPELINING
// (RFC 2920), STARTTLS required or opportunistic (RFC 3207), SIZE (RFC 1870), 8BITMIME
// (RFC 6152), dot-stuffing (4.5.2), RSET before each reuse of the connection, QUIT.
//
// Inputs are calls, each given the current time: Start, OnBytes, OnTlsEstablished, OnTlsFailed,
// OnDeadline, OnConnectionClosed, Send, Quit. Outputs are ClientActions
// (modules/delivery/smtp_client_actions.h) taken with TakeActions(). The client reads no clock,
// socket or random source.
//
// Reply classes map to outcomes per recipient (RFC 5321 4.2.1): 2xx delivered (after the data),
// 4xx retry, 5xx bounce, at MAIL (every recipient), RCPT (that one) or after the data (every
// accepted one). Failures of the session itself (a 4xx or 5xx greeting, EHLO and HELO refused,
// TLS required but not offered or failed, garbage, a timeout, a lost connection) say nothing
// about the mail: retry.
//
// Driver contract:
//   1. Connect; construct a SmtpClient; call Start(); perform its actions.
//   2. Feed every received (decrypted, once TLS is up) byte to OnBytes().
//   3. On StartTls: run the handshake, then call OnTlsEstablished() or OnTlsFailed().
//   4. On ArmDeadline: (re)arm one timer; when it fires, call OnDeadline().
//   5. Call Send() when ready_for_mail() (after a ReadyForMail action, or before: the envelope
//      then waits for the session to be ready). TransactionDone reports each Send().
//   6. When the peer closes or resets the connection, call OnConnectionClosed().
//   7. On CloseConnection: close; the client ignores every later call.
// Threading: loop thread only.

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/status.h"
#include "modules/delivery/smtp_client_actions.h"
#include "modules/delivery/smtp_client_limits.h"
#include "modules/delivery/smtp_reply_reader.h"

namespace lifeboat::delivery {

enum class TlsPolicy {
  kNone,           // never STARTTLS (a primary on loopback in tests)
  kOpportunistic,  // STARTTLS when offered, plaintext otherwise (RFC 3207 4.1; internet MX)
  kRequired,       // STARTTLS or no mail at all (the primary: its certificate is verified)
};

struct ClientConfig {
  std::string helo_name;  // our host name for EHLO/HELO
  TlsPolicy tls = TlsPolicy::kRequired;
  bool use_pipelining = true;  // when the server offers PIPELINING
  ClientLimits limits;
};

struct Envelope {
  std::string mail_from;             // "" for the null reverse-path <> (a DSN)
  std::vector<std::string> rcpt_to;  // 1 .. kRecipientsPerTransactionMax
  std::string content;               // the message, lines ended by CRLF, not dot-stuffed
  bool body_8bit = false;            // the content has 8-bit bytes: BODY=8BITMIME is needed
};

// What the server announced in its EHLO reply (RFC 5321 4.1.1.1).
struct ServerExtensions {
  bool pipelining = false;
  bool starttls = false;
  bool eight_bit_mime = false;
  bool size = false;
  uint64_t size_max_bytes = 0;  // 0: SIZE without a limit
};

class SmtpClient {
 public:
  explicit SmtpClient(const ClientConfig& config);
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // The connection is up: wait for the greeting. Call once, first.
  void Start(MonoTime now);
  void OnBytes(std::string_view bytes, MonoTime now);
  void OnTlsEstablished(MonoTime now);
  void OnTlsFailed(std::string_view reason, MonoTime now);
  void OnDeadline(MonoTime now);
  void OnConnectionClosed(MonoTime now);

  // Hands over one mail. Only while can_send(). InvalidArgument for an envelope that cannot go
  // on the wire (no or too many recipients, an address with CR, LF, '<', '>' or spaces, or
  // too long): nothing is sent and the session stays as it was.
  Status Send(Envelope envelope, MonoTime now);
  // Ends the session politely (QUIT) once no mail is in flight.
  void Quit(MonoTime now);

  std::vector<ClientAction> TakeActions();

  bool can_send() const { return phase_ != Phase::kClosed && !envelope_.has_value(); }
  bool ready_for_mail() const { return phase_ == Phase::kIdle && !envelope_.has_value(); }
  bool closed() const { return phase_ == Phase::kClosed; }
  bool tls_active() const { return tls_active_; }
  const ServerExtensions& extensions() const { return extensions_; }

 private:
  enum class Phase {
    kGreeting,
    kEhlo,
    kHelo,
    kStartTls,
    kTlsHandshake,
    kIdle,
    kTransaction,
    kQuit,
    kClosed
  };
  // The reply each command in flight waits for, oldest first.
  enum class Expect { kRset, kMail, kRcpt, kData, kDot, kLoneDot };
  struct Pending {
    Expect expect;
    std::string command;   // the bytes, while not yet sent (without PIPELINING)
    size_t recipient = 0;  // kRcpt
  };

  void HandleReply(const ServerReply& reply, MonoTime now);
  void OnGreeting(const ServerReply& reply, MonoTime now);
  void OnEhloReply(const ServerReply& reply, MonoTime now);
  void OnHeloReply(const ServerReply& reply, MonoTime now);
  void OnStartTlsReply(const ServerReply& reply, MonoTime now);
  void OnTransactionReply(const ServerReply& reply, MonoTime now);
  void OnDataReply(const ServerReply& reply, MonoTime now);

  void SendCommand(std::string command, Duration timeout, MonoTime now);
  void BecomeReady(MonoTime now);
  void BeginTransaction(MonoTime now);
  void SendNextUnsent(MonoTime now);
  void SetResult(size_t recipient, RecipientOutcome outcome, int code, std::string reply);
  void SetUnsetResults(RecipientOutcome outcome, int code, const std::string& reply,
                       bool maybe_delivered);
  void FinishTransaction(MonoTime now);
  // The session cannot go on: every recipient without a result is retried with `reason`; then
  // QUIT (when the dialogue is still in step) or close.
  void FailSession(const std::string& reason, int code, bool send_quit, MonoTime now);
  void StartQuit(MonoTime now);
  void Close(std::string reason);
  void Arm(MonoTime deadline);
  Duration TimeoutFor(Expect expect) const;

  const ClientConfig& config_;
  Phase phase_ = Phase::kGreeting;
  ReplyReader reader_;
  ServerExtensions extensions_;
  bool tls_active_ = false;
  bool quit_requested_ = false;
  uint64_t transactions_ = 0;  // begun on this connection

  std::optional<Envelope> envelope_;  // the mail in flight (or waiting for the session)
  std::vector<std::optional<RecipientResult>> results_;
  std::vector<bool> accepted_;
  bool mail_accepted_ = false;
  std::deque<Pending> awaiting_;  // sent, reply not yet read (in order)
  std::deque<Pending> unsent_;    // not yet sent: no PIPELINING, one at a time

  MonoTime deadline_{0};
  std::vector<ClientAction> actions_;
};

}  // namespace lifeboat::delivery
