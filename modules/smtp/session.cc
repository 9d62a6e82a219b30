// Session framing: how received bytes become command lines, content and replies; deadlines;
// closing. The commands themselves are in session_commands.cc, content in session_content.cc.
#include "modules/smtp/session.h"

#include <algorithm>

#include "appliance/env/check.h"

namespace lifeboat::smtp {

Session::Session(const SessionConfig& config, const PolicyChain& policy, PeerInfo peer)
    : config_(config), policy_(policy), peer_(std::move(peer)) {
  LB_CHECK(!config_.hostname.empty());
  const SessionLimits& limits = config_.limits;
  // A command line must at least hold "QUIT" CRLF; zero limits would refuse everything.
  LB_CHECK(limits.command_line_bytes_max >= 6 && limits.text_line_bytes_max >= 2);
  LB_CHECK(limits.errors_per_session_max > 0 && limits.commands_per_session_max > 0);
  LB_CHECK(limits.initial_timeout > Duration::zero() &&
           limits.data_block_timeout > Duration::zero());
  LB_CHECK(limits.server_idle_timeout > Duration::zero());
  LB_CHECK(limits.commit_reply_timeout > Duration::zero());
}

void Session::Start(MonoTime now) {
  LB_CHECK(!started_);
  started_ = true;
  FilterVerdict verdict = policy_.RunConnect(Context(now));
  if (verdict.stop) {
    // RFC 5321 3.1: a 554 greeting obliges the server to wait for QUIT; a refused client should
    // hold no session, so connect filters refuse with 421 and we close at once (3.8, 4.2.3).
    LB_CHECK(verdict.reply.code == 421);
    CloseWith(verdict.reply);
    return;
  }
  // RFC 5321 4.2, RFC 2034 3: the greeting carries no enhanced status code.
  output_ += FormatReply(MakeReply(220, "", config_.hostname + " ESMTP Lifeboat"));
  Flush();
  SetDeadline(now, config_.limits.initial_timeout);
  EmitDeadline();
}

void Session::OnBytes(std::string_view bytes, MonoTime now, WallTime wall) {
  LB_CHECK(started_);
  if (closed()) return;
  if (phase_ == Phase::kAwaitingTls) {
    // CVE-2011-0411: plaintext sent after STARTTLS, before the handshake, could be injected by a
    // man in the middle. It is dropped, never answered.
    return;
  }
  input_.Append(bytes);
  if (phase_ == Phase::kAwaitingCommit) {
    if (input_.size() > config_.limits.pending_input_bytes_max) {
      CloseWith(MakeReply(421, "4.7.0", config_.hostname + " Error: too much pipelined input"));
    }
    return;
  }
  if (phase_ == Phase::kData || phase_ == Phase::kBdatChunk) {
    SetDeadline(now, config_.limits.data_block_timeout);
  }
  Pump(now, wall);
}

void Session::OnTlsEstablished(const TlsFacts& facts, MonoTime now) {
  if (closed()) return;
  LB_CHECK(phase_ == Phase::kAwaitingTls);
  // RFC 3207 4.2: the server must discard all knowledge obtained from the client before the
  // handshake; the client starts again with EHLO.
  tls_ = facts;
  helo_.clear();
  extended_ = false;
  ResetTransaction();
  input_.Clear();
  phase_ = Phase::kCommand;
  SetDeadline(now, config_.limits.server_idle_timeout);
  EmitDeadline();
}

void Session::OnMailCommitted(CommitOutcome outcome, std::string_view mail_id, MonoTime now,
                              WallTime wall) {
  if (closed()) return;  // e.g. the commit deadline already answered and closed
  LB_CHECK(phase_ == Phase::kAwaitingCommit);
  switch (outcome) {
    case CommitOutcome::kCommitted:
      LB_CHECK(!mail_id.empty() && mail_id.find_first_of("\r\n") == std::string_view::npos);
      Respond(MakeReply(250, "2.0.0", "Ok: queued as " + std::string(mail_id)));
      break;
    case CommitOutcome::kStorageError:
      Respond(MakeReply(451, "4.3.0", "Error: queue file write error, try again later"));
      break;
    case CommitOutcome::kDiskReserve:
      Respond(MakeReply(452, "4.3.1", "Error: insufficient system storage, try again later"));
      break;
  }
  ResetTransaction();
  phase_ = Phase::kCommand;
  SetDeadline(now, config_.limits.server_idle_timeout);
  Pump(now, wall);  // commands pipelined behind the message (RFC 2920 3.1)
}

void Session::OnDeadline(MonoTime now) {
  if (closed() || now < deadline_) return;
  if (phase_ == Phase::kAwaitingCommit) {
    // No answer from storage in time: the client must not wait past its own DATA termination
    // timeout (RFC 5321 4.5.3.2.6). 421 is allowed in reply to anything (RFC 5321 3.8); the
    // client retries. If the commit still lands, the retry is a duplicate, never a loss.
    CloseWith(MakeReply(421, "4.3.0", config_.hostname + " Error: storage timeout, try later"));
    return;
  }
  CloseWith(MakeReply(421, "4.4.2", config_.hostname + " Error: timeout exceeded"));
}

std::vector<Action> Session::TakeActions() {
  std::vector<Action> out;
  out.swap(actions_);
  return out;
}

void Session::Pump(MonoTime now, WallTime wall) {
  bool progress = true;
  while (progress) {
    switch (phase_) {
      case Phase::kCommand:
        progress = ProcessCommandLine(now);
        break;
      case Phase::kData:
        progress = ProcessData(now, wall);
        break;
      case Phase::kBdatChunk:
        progress = ProcessBdatChunk(now, wall);
        break;
      case Phase::kAwaitingCommit:
      case Phase::kAwaitingTls:
      case Phase::kClosed:
        progress = false;
        break;
    }
  }
  Flush();
  EmitDeadline();
}

// Takes one CRLF-terminated command line from the input, if there is one, and runs it.
// Returns false when more input is needed.
bool Session::ProcessCommandLine(MonoTime now) {
  const size_t line_max = config_.limits.command_line_bytes_max;
  std::string_view view = input_.View();
  size_t newline = view.find('\n');
  if (discarding_long_line_) {
    if (newline == std::string_view::npos) {
      input_.Clear();
      return false;
    }
    input_.Consume(newline + 1);
    discarding_long_line_ = false;
    // RFC 5321 4.5.3.1.4 and 4.5.3.1.10: "500 Line too long".
    Respond(MakeReply(500, "5.5.2", "Error: line too long"));
    return true;
  }
  if (newline == std::string_view::npos) {
    if (view.size() >= line_max) {
      discarding_long_line_ = true;
      input_.Clear();
    }
    return false;
  }
  if (newline + 1 > line_max) {
    input_.Consume(newline + 1);
    Respond(MakeReply(500, "5.5.2", "Error: line too long"));
    return true;
  }
  std::string_view line = view.substr(0, newline);
  // RFC 5321 2.3.8: lines end with CRLF only. A bare LF or CR in a command is refused and the
  // session closed, as in DATA (see ProcessData): the peer's framing cannot be trusted.
  if (line.empty() || line.back() != '\r' ||
      line.substr(0, line.size() - 1).find('\r') != std::string_view::npos) {
    bool bare_cr = !line.empty() && line.back() == '\r';
    CloseWith(MakeReply(550, "5.5.2",
                        bare_cr ? "Error: bare <CR> received" : "Error: bare <LF> received"));
    return false;
  }
  std::string command(line.substr(0, line.size() - 1));
  input_.Consume(newline + 1);

  ++commands_;
  if (commands_ > config_.limits.commands_per_session_max) {
    CloseWith(MakeReply(421, "4.7.0", config_.hostname + " Error: too many commands"));
    return false;
  }
  size_t space = command.find(' ');
  std::string_view verb = std::string_view(command).substr(0, space);
  std::string_view arguments =
      space == std::string::npos ? std::string_view() : std::string_view(command).substr(space + 1);
  while (!arguments.empty() && arguments.back() == ' ') arguments.remove_suffix(1);
  const CommandSpec* spec = FindCommand(verb);
  if (spec == nullptr) {
    Respond(MakeReply(500, "5.5.2", "Error: command not recognized"));  // RFC 5321 4.2.4
  } else {
    Dispatch(*spec, arguments, now);
  }
  if (phase_ == Phase::kCommand) SetDeadline(now, config_.limits.server_idle_timeout);
  return !closed();
}

void Session::Dispatch(const CommandSpec& spec, std::string_view arguments, MonoTime now) {
  if ((spec.flags & kCommandFlagJunk) &&
      ++junk_commands_ > config_.limits.junk_commands_per_session_max) {
    CloseWith(MakeReply(421, "4.7.0", config_.hostname + " Error: too many commands"));
    return;
  }
  if ((spec.flags & kCommandFlagNoArguments) && !arguments.empty()) {
    Respond(MakeReply(501, "5.5.4", "Syntax: " + std::string(spec.verb)));
    return;
  }
  if ((spec.flags & kCommandFlagNeedsHelo) && helo_.empty()) {
    Respond(MakeReply(503, "5.5.1", "Error: send HELO/EHLO first"));
    return;
  }
  switch (spec.id) {
    case CommandId::kEhlo:
      OnHello(arguments, /*extended=*/true, now);
      break;
    case CommandId::kHelo:
      OnHello(arguments, /*extended=*/false, now);
      break;
    case CommandId::kMail:
      OnMail(arguments, now);
      break;
    case CommandId::kRcpt:
      OnRcpt(arguments, now);
      break;
    case CommandId::kData:
      OnData(now);
      break;
    case CommandId::kBdat:
      OnBdat(arguments, now);
      break;
    case CommandId::kRset:
      ResetTransaction();
      Respond(MakeReply(250, "2.0.0", "Ok"));
      break;
    case CommandId::kNoop:
      Respond(MakeReply(250, "2.0.0", "Ok"));
      break;
    case CommandId::kQuit:
      CloseWith(MakeReply(221, "2.0.0", "Bye"));
      break;
    case CommandId::kVrfy:
      if (arguments.empty()) {
        Respond(MakeReply(501, "5.5.4", "Syntax: VRFY address"));
      } else {
        // RFC 5321 3.5.3: 252 when we will not say whether the address exists (no user
        // enumeration, 7.3) but would accept mail for it.
        Respond(MakeReply(252, "2.0.0",
                          "Cannot VRFY user, but will accept message and attempt delivery"));
      }
      break;
    case CommandId::kHelp:
      OnHelp();
      break;
    case CommandId::kExpn:
      Respond(MakeReply(502, "5.5.1", "Error: EXPN is disabled"));
      break;
    case CommandId::kStartTls:
      OnStartTls(now);
      break;
  }
  if ((spec.flags & kCommandFlagFlushes) && !closed()) Flush();
}

void Session::Respond(const Reply& reply) {
  LB_CHECK(!closed());
  output_ += FormatReply(reply);
  if (!reply.IsError()) return;
  // Postfix smtpd_hard_error_limit: a client that keeps failing is broken or probing.
  if (++errors_ >= config_.limits.errors_per_session_max) {
    CloseWith(MakeReply(421, "4.7.0", config_.hostname + " Error: too many errors"));
  }
}

void Session::CloseWith(const Reply& reply) {
  if (closed()) return;
  output_ += FormatReply(reply);
  Close();
}

void Session::Close() {
  Flush();
  actions_.emplace_back(CloseConnection{});
  phase_ = Phase::kClosed;
  input_.Clear();
  data_decoder_.reset();
  chunk_decoder_.reset();
  transaction_ = Transaction();
}

void Session::Flush() {
  if (output_.empty()) return;
  actions_.emplace_back(SendBytes{std::move(output_)});
  output_.clear();
}

void Session::SetDeadline(MonoTime now, Duration after) {
  deadline_ = now + after;
}

void Session::EmitDeadline() {
  if (closed() || armed_deadline_ == deadline_) return;
  armed_deadline_ = deadline_;
  actions_.emplace_back(ArmDeadline{deadline_});
}

void Session::ResetTransaction() {
  transaction_ = Transaction();
  data_decoder_.reset();
  chunk_decoder_.reset();
}

PolicyContext Session::Context(MonoTime now) const {
  PolicyContext context;
  context.peer_ip = peer_.ip;
  context.now = now;
  context.helo = helo_;
  context.limits = &config_.limits;
  context.accepted_recipients = transaction_.recipients.size();
  return context;
}

}  // namespace lifeboat::smtp
