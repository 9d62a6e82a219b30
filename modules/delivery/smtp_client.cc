// The session side of the SMTP client: greeting, EHLO/HELO, STARTTLS, deadlines, QUIT and
// failures. The mail transaction is in smtp_client_transaction.cc.
#include "modules/delivery/smtp_client.h"

#include <utility>

#include "modules/ascii/ascii_case.h"

namespace lifeboat::delivery {
namespace {

// The keyword and parameter of one EHLO reply line (RFC 5321 4.1.1.1: ehlo-line).
void ReadExtension(std::string_view line, ServerExtensions& extensions) {
  size_t space = line.find(' ');
  std::string keyword = ascii::Lower(line.substr(0, space));
  std::string_view parameter = space == std::string_view::npos ? "" : line.substr(space + 1);
  if (keyword == "pipelining") {
    extensions.pipelining = true;
  } else if (keyword == "starttls") {
    extensions.starttls = true;
  } else if (keyword == "8bitmime") {
    extensions.eight_bit_mime = true;
  } else if (keyword == "size") {
    // RFC 1870 4: "SIZE" [SP number]; a missing or unreadable number means no fixed limit.
    extensions.size = true;
    uint64_t limit = 0;
    for (char c : parameter) {
      if (c < '0' || c > '9' || limit > UINT64_MAX / 10 - 10) {
        limit = 0;
        break;
      }
      limit = limit * 10 + static_cast<uint64_t>(c - '0');
    }
    extensions.size_max_bytes = limit;
  }
}

}  // namespace

SmtpClient::SmtpClient(const ClientConfig& config) : config_(config) {
  LB_CHECK(!config_.helo_name.empty());
  for (char c : config_.helo_name) LB_CHECK(c != '\r' && c != '\n' && c != ' ');
}

void SmtpClient::Start(MonoTime now) {
  LB_CHECK(phase_ == Phase::kGreeting && deadline_ == MonoTime{0});
  Arm(now + config_.limits.greeting);
}

void SmtpClient::OnBytes(std::string_view bytes, MonoTime now) {
  if (phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kTlsHandshake) {
    // Plaintext after "220 ready for TLS" is either an injection or a confused server.
    FailSession("bytes received before the TLS handshake", 0, false, now);
    return;
  }
  Status read = reader_.Feed(bytes);
  // Replies complete before the garbage are still answered in order.
  while (phase_ != Phase::kClosed && phase_ != Phase::kTlsHandshake) {
    std::optional<ServerReply> reply = reader_.Next();
    if (!reply) break;
    HandleReply(*reply, now);
  }
  if (!read.ok() && phase_ != Phase::kClosed) {
    FailSession("protocol error: " + read.message(), 0, false, now);
  }
}

void SmtpClient::HandleReply(const ServerReply& reply, MonoTime now) {
  switch (phase_) {
    case Phase::kGreeting:
      return OnGreeting(reply, now);
    case Phase::kEhlo:
      return OnEhloReply(reply, now);
    case Phase::kHelo:
      return OnHeloReply(reply, now);
    case Phase::kStartTls:
      return OnStartTlsReply(reply, now);
    case Phase::kTransaction:
      return OnTransactionReply(reply, now);
    case Phase::kQuit:
      return Close("QUIT answered");
    case Phase::kIdle:
      // Unsolicited: a 421 before the server closes (RFC 5321 3.8), or garbage.
      return FailSession("unexpected reply while idle: " + reply.Text(), reply.code, false, now);
    case Phase::kTlsHandshake:
    case Phase::kClosed:
      LB_CHECK(false);
  }
}

void SmtpClient::OnGreeting(const ServerReply& reply, MonoTime now) {
  if (reply.code != 220) {
    // RFC 5321 3.1: a 554 greeting means no service here; QUIT and try later.
    return FailSession("greeting refused: " + reply.Text(), reply.code, true, now);
  }
  phase_ = Phase::kEhlo;
  SendCommand("EHLO " + config_.helo_name + "\r\n", config_.limits.mail, now);
}

void SmtpClient::OnEhloReply(const ServerReply& reply, MonoTime now) {
  if (reply.Class() == 5 && !tls_active_) {
    // RFC 5321 3.2: a server that does not know EHLO answers 5xx; fall back to HELO. Not after
    // STARTTLS: a server that offered TLS speaks ESMTP.
    phase_ = Phase::kHelo;
    SendCommand("HELO " + config_.helo_name + "\r\n", config_.limits.mail, now);
    return;
  }
  if (reply.Class() != 2)
    return FailSession("EHLO refused: " + reply.Text(), reply.code, true, now);
  extensions_ = ServerExtensions();
  for (size_t i = 1; i < reply.lines.size(); ++i) ReadExtension(reply.lines[i], extensions_);
  if (!tls_active_ && config_.tls != TlsPolicy::kNone && extensions_.starttls) {
    phase_ = Phase::kStartTls;
    SendCommand("STARTTLS\r\n", config_.limits.mail, now);
    return;
  }
  if (!tls_active_ && config_.tls == TlsPolicy::kRequired) {
    return FailSession("TLS required but the server does not offer STARTTLS", 0, true, now);
  }
  BecomeReady(now);
}

void SmtpClient::OnHeloReply(const ServerReply& reply, MonoTime now) {
  if (reply.Class() != 2)
    return FailSession("HELO refused: " + reply.Text(), reply.code, true, now);
  if (config_.tls == TlsPolicy::kRequired) {
    return FailSession("TLS required but the server does not speak ESMTP", 0, true, now);
  }
  extensions_ = ServerExtensions();
  BecomeReady(now);
}

void SmtpClient::OnStartTlsReply(const ServerReply& reply, MonoTime now) {
  if (reply.code != 220) {
    if (config_.tls == TlsPolicy::kRequired) {
      return FailSession("STARTTLS refused: " + reply.Text(), reply.code, true, now);
    }
    return BecomeReady(now);  // opportunistic: go on in plaintext (RFC 3207 4.1)
  }
  if (reader_.HasBufferedInput()) {
    // Bytes pipelined behind the 220 would be read as if they came over TLS (RFC 3207 6).
    return FailSession("data after the STARTTLS reply (response injection)", 0, false, now);
  }
  phase_ = Phase::kTlsHandshake;
  actions_.push_back(StartTls{});
  Arm(now + config_.limits.tls_handshake);
}

void SmtpClient::OnTlsEstablished(MonoTime now) {
  if (phase_ == Phase::kClosed) return;
  LB_CHECK(phase_ == Phase::kTlsHandshake);
  tls_active_ = true;
  // RFC 3207 4.2: forget what the server said before TLS and ask again.
  extensions_ = ServerExtensions();
  phase_ = Phase::kEhlo;
  SendCommand("EHLO " + config_.helo_name + "\r\n", config_.limits.mail, now);
}

void SmtpClient::OnTlsFailed(std::string_view reason, MonoTime now) {
  if (phase_ == Phase::kClosed) return;
  FailSession("TLS handshake failed: " + std::string(reason), 0, false, now);
}

void SmtpClient::OnDeadline(MonoTime now) {
  if (phase_ == Phase::kClosed) return;
  if (now < deadline_) return Arm(deadline_);  // stale timer: re-arm the current deadline
  switch (phase_) {
    case Phase::kIdle:
      return StartQuit(now);
    case Phase::kQuit:
      return Close("no reply to QUIT");
    case Phase::kGreeting:
      return FailSession("timeout waiting for the greeting", 0, false, now);
    case Phase::kTlsHandshake:
      return FailSession("timeout in the TLS handshake", 0, false, now);
    case Phase::kTransaction: {
      bool after_dot = !awaiting_.empty() && awaiting_.front().expect == Expect::kDot;
      return FailSession(after_dot ? "timeout waiting for the reply to the end of data"
                                   : "timeout waiting for a reply",
                         0, false, now);
    }
    default:
      return FailSession("timeout waiting for a reply", 0, false, now);
  }
}

void SmtpClient::OnConnectionClosed(MonoTime now) {
  if (phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kQuit) return Close("closed by the server after QUIT");
  FailSession("connection closed by the server", 0, false, now);
}

void SmtpClient::Quit(MonoTime now) {
  quit_requested_ = true;
  if (phase_ == Phase::kIdle && !envelope_) StartQuit(now);
}

void SmtpClient::StartQuit(MonoTime now) {
  phase_ = Phase::kQuit;
  SendCommand("QUIT\r\n", config_.limits.quit, now);
}

void SmtpClient::BecomeReady(MonoTime now) {
  phase_ = Phase::kIdle;
  if (envelope_) return BeginTransaction(now);
  if (quit_requested_) return StartQuit(now);
  actions_.push_back(ReadyForMail{});
  Arm(now + config_.limits.idle);
}

void SmtpClient::FailSession(const std::string& reason, int code, bool send_quit, MonoTime now) {
  if (envelope_) {
    bool maybe_delivered = !awaiting_.empty() && awaiting_.front().expect == Expect::kDot;
    SetUnsetResults(RecipientOutcome::kRetry, code, reason, maybe_delivered);
    FinishTransaction(now);
  }
  if (send_quit) {
    phase_ = Phase::kQuit;
    SendCommand("QUIT\r\n", config_.limits.quit, now);
    return;
  }
  Close(reason);
}

void SmtpClient::SendCommand(std::string command, Duration timeout, MonoTime now) {
  actions_.push_back(SendBytes{std::move(command)});
  Arm(now + timeout);
}

void SmtpClient::Close(std::string reason) {
  phase_ = Phase::kClosed;
  awaiting_.clear();
  unsent_.clear();
  actions_.push_back(CloseConnection{std::move(reason)});
}

void SmtpClient::Arm(MonoTime deadline) {
  deadline_ = deadline;
  actions_.push_back(ArmDeadline{deadline});
}

std::vector<ClientAction> SmtpClient::TakeActions() {
  std::vector<ClientAction> taken;
  taken.swap(actions_);
  return taken;
}

}  // namespace lifeboat::delivery
