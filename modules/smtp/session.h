#pragma once
// The SMTP server session as a sans-I/O state machine (STYLE.md rule 1; RFC 5321 with PIPELINING
// RFC 2920, SIZE RFC 1870, 8BITMIME RFC 6152, SMTPUTF8 RFC 6531, ENHANCEDSTATUSCODES RFC 2034,
// CHUNKING RFC 3030, STARTTLS RFC 3207).
//
// Inputs are calls: Start, OnBytes, OnTlsEstablished, OnMailCommitted, OnDeadline, each given the
// current time by the driver; the session reads no clock, socket or random source. Outputs are
// Actions (modules/smtp/actions.h) queued during each call and taken with TakeActions().
//
// Ownership: `config` and `policy` are owned by the listener and must outlive the session. Bytes
// passed to OnBytes are copied as needed; the caller keeps ownership of its buffer.
//
// Driver contract:
//   1. Ask SessionAdmission on accept; construct a Session; call Start(); perform its actions.
//   2. Feed every received (decrypted, once TLS is up) byte to OnBytes().
//   3. On StartTls: run the handshake, then call OnTlsEstablished().
//   4. On ProposeMail: choose a mail id, append a MailReceived event, then call OnMailCommitted()
//      with the outcome. While input_paused() the driver may stop reading the socket.
//   5. On ArmDeadline: (re)arm one timer; when it fires, call OnDeadline().
//   6. On CloseConnection: flush and close; the session ignores every later call.
// Threading: loop thread only.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/env.h"
#include "modules/smtp/actions.h"
#include "modules/smtp/address.h"
#include "modules/smtp/command_table.h"
#include "modules/smtp/content_decoder.h"
#include "modules/smtp/input_buffer.h"
#include "modules/smtp/mail_parameters.h"
#include "modules/smtp/policy/chain.h"
#include "modules/smtp/reply.h"
#include "modules/smtp/session_limits.h"

namespace lifeboat::smtp {

struct SessionConfig {
  std::string hostname;           // our name: greeting, EHLO reply, Received: header
  std::string postmaster_domain;  // qualifies "RCPT TO:<Postmaster>" (RFC 5321 4.5.1)
  bool tls_available = false;     // a certificate is loaded: advertise and accept STARTTLS
  SessionLimits limits;
};

struct PeerInfo {
  std::string ip;  // textual, as the driver's accept() gave it
  uint16_t port = 0;
};

class Session {
 public:
  Session(const SessionConfig& config, const PolicyChain& policy, PeerInfo peer);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Sends the greeting (or the connect policy's refusal). Call once, first.
  void Start(MonoTime now);
  void OnBytes(std::string_view bytes, MonoTime now, WallTime wall);
  void OnTlsEstablished(const TlsFacts& facts, MonoTime now);
  // `mail_id` is named in the 250 reply; ignored unless `outcome` is kCommitted. `wall` dates the
  // next message if one was pipelined behind this one.
  void OnMailCommitted(CommitOutcome outcome, std::string_view mail_id, MonoTime now,
                       WallTime wall);
  void OnDeadline(MonoTime now);

  std::vector<Action> TakeActions();

  bool closed() const { return phase_ == Phase::kClosed; }
  // True while the session waits for a commit or the TLS handshake and reads nothing.
  bool input_paused() const {
    return phase_ == Phase::kAwaitingCommit || phase_ == Phase::kAwaitingTls;
  }

 private:
  enum class Phase { kCommand, kData, kBdatChunk, kAwaitingCommit, kAwaitingTls, kClosed };

  // One mail transaction (RFC 5321 3.3): from MAIL to the end of DATA/BDAT LAST, RSET or EHLO.
  struct Transaction {
    bool active = false;  // MAIL accepted
    std::string mail_from;
    MailParameters parameters;
    std::vector<std::string> recipients;
    bool used_bdat = false;
    std::optional<Reply> bdat_failure;  // a failed chunk: later chunks are discarded (RFC 3030 2)
    std::string content;
  };

  // Input processing (session.cc).
  void Pump(MonoTime now, WallTime wall);
  bool ProcessCommandLine(MonoTime now);
  void Dispatch(const CommandSpec& spec, std::string_view arguments, MonoTime now);
  void Respond(const Reply& reply);
  void CloseWith(const Reply& reply);
  void Close();
  void Flush();
  void SetDeadline(MonoTime now, Duration after);
  void EmitDeadline();
  void ResetTransaction();
  PolicyContext Context(MonoTime now) const;

  // Commands (session_commands.cc).
  void OnHello(std::string_view arguments, bool extended, MonoTime now);
  void OnMail(std::string_view arguments, MonoTime now);
  void OnRcpt(std::string_view arguments, MonoTime now);
  void OnData(MonoTime now);
  void OnBdat(std::string_view arguments, MonoTime now);
  void OnStartTls(MonoTime now);
  void OnHelp();

  // Message content (session_content.cc).
  bool ProcessData(MonoTime now, WallTime wall);
  bool ProcessBdatChunk(MonoTime now, WallTime wall);
  void FinishBdatChunk(MonoTime now, WallTime wall);
  std::optional<Reply> ContentFailure() const;
  void ProposeMessage(MonoTime now, WallTime wall);
  std::string EhloReplyBytes() const;

  const SessionConfig& config_;
  const PolicyChain& policy_;
  const PeerInfo peer_;

  Phase phase_ = Phase::kCommand;
  bool started_ = false;
  InputBuffer input_;
  bool discarding_long_line_ = false;
  std::string helo_;
  bool extended_ = false;  // EHLO rather than HELO
  std::optional<TlsFacts> tls_;
  Transaction transaction_;
  std::optional<DataDecoder> data_decoder_;
  std::optional<ChunkDecoder> chunk_decoder_;
  uint64_t bdat_remaining_bytes_ = 0;
  uint64_t bdat_chunk_bytes_ = 0;  // the announced size of the chunk in flight
  bool bdat_last_ = false;
  std::optional<Reply> bdat_discard_reply_;  // the chunk in flight is refused with this

  uint32_t commands_ = 0;
  uint32_t junk_commands_ = 0;
  uint32_t errors_ = 0;

  std::string output_;  // replies not yet handed out as a SendBytes
  std::vector<Action> actions_;
  MonoTime deadline_{0};
  std::optional<MonoTime> armed_deadline_;
};

}  // namespace lifeboat::smtp
