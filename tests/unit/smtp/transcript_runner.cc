#include "tests/unit/smtp/transcript_runner.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include "appliance/env/check.h"
#include "modules/smtp/policy/admission.h"
#include "modules/smtp/policy/default_chain.h"
#include "modules/smtp/session.h"
#include "tests/unit/smtp/fixed_resolver.h"

namespace lifeboat::smtp::testing {
namespace {

using namespace std::chrono_literals;

// 2026-11-28 19:00:00 UTC: the Received: header dates are fixed.
constexpr WallTime kWallStart = std::chrono::seconds(1'795'892'400);

std::string Escape(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7F) {  // .ref files stay ASCII: UTF-8 shows as \xNN
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\x%02X", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    char next = text[++i];
    if (next == 'r') {
      out += '\r';
    } else if (next == 'n') {
      out += '\n';
    } else if (next == 't') {
      out += '\t';
    } else if (next == 'x' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += next;
    }
  }
  return out;
}

uint64_t ParseNumber(std::string_view text) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  LB_CHECK(error == std::errc() && end == text.data() + text.size());
  return value;
}

Duration ParseDuration(std::string_view text) {
  LB_CHECK(!text.empty());
  char unit = text.back();
  uint64_t count = ParseNumber(text.substr(0, text.size() - 1));
  if (unit == 's') return std::chrono::seconds(count);
  LB_CHECK(unit == 'm');
  return std::chrono::minutes(count);
}

class TranscriptRun {
 public:
  std::string Run(std::string_view input) {
    std::istringstream lines{std::string(input)};
    std::string line;
    while (std::getline(lines, line)) Step(line);
    return out_.str();
  }

 private:
  void Step(const std::string& line) {
    if (!line.empty() && line[0] == '#') {
      out_ << line << "\n";
      return;
    }
    if (line.empty() || line[0] != '!') {
      bool live = EnsureSession();
      out_ << "C: " << line << "\n";
      if (live) Feed(line + "\r\n");
      return;
    }
    std::string_view rest = std::string_view(line).substr(1);
    std::string_view directive = rest.substr(0, rest.find(' '));
    std::string_view argument =
        rest.find(' ') == std::string_view::npos ? "" : rest.substr(rest.find(' ') + 1);
    if (directive == "set") {
      Set(argument);
    } else if (directive == "raw") {
      bool live = EnsureSession();
      std::string bytes = Unescape(argument);
      out_ << "C: [raw] " << Escape(bytes) << "\n";
      if (live) Feed(bytes);
    } else if (directive == "commit") {
      Commit(argument);
    } else if (directive == "tls") {
      LB_CHECK(EnsureSession());
      out_ << "C: [tls established]\n";
      session_->OnTlsEstablished(TlsFacts{"TLSv1.3", "TLS_AES_256_GCM_SHA384"}, now_);
      Drain();
    } else if (directive == "advance") {
      bool live = EnsureSession();
      now_ += ParseDuration(argument);
      wall_ += std::chrono::duration_cast<WallTime>(ParseDuration(argument));
      out_ << "C: [advance " << argument << "]\n";
      if (live && deadline_ && *deadline_ <= now_) {
        deadline_.reset();
        session_->OnDeadline(now_);
        Drain();
      }
    } else if (directive == "deadline") {
      LB_CHECK(EnsureSession());
      if (deadline_) {
        auto in = std::chrono::duration_cast<std::chrono::seconds>(*deadline_ - now_);
        out_ << "[deadline in " << in.count() << "s]\n";
      } else {
        out_ << "[no deadline]\n";
      }
    } else if (directive == "new-session") {
      // "!new-session keep" leaves the current session open (it counts for admission).
      if (argument == "keep") {
        out_ << "C: [new session, previous one kept open]\n";
        if (session_) held_.push_back(Held{std::move(*ticket_), std::move(session_)});
      } else {
        out_ << "C: [new session]\n";
      }
      session_.reset();
      ticket_.reset();
      refused_ = false;
      deadline_.reset();
      proposals_pending_ = 0;
    } else {
      LB_CHECK(false && "unknown transcript directive");
    }
  }

  void Set(std::string_view argument) {
    LB_CHECK(session_ == nullptr && "!set must come before the session starts");
    std::string_view key = argument.substr(0, argument.find(' '));
    // Limits are read by the sessions already open: only the next peer may change later.
    LB_CHECK((key == "peer_ip" || policy_ == nullptr) && "!set limits before the first session");
    std::string_view value = argument.substr(argument.find(' ') + 1);
    SessionLimits& limits = config_.limits;
    out_ << "!set " << argument << "\n";
    if (key == "peer_ip") {
      peer_ip_ = std::string(value);
    } else if (key == "trusted") {
      policy_config_.trusted_networks.emplace_back(value);
    } else if (key == "tls_available") {
      config_.tls_available = ParseNumber(value) != 0;
    } else if (key == "errors_per_session_max") {
      limits.errors_per_session_max = static_cast<uint32_t>(ParseNumber(value));
    } else if (key == "commands_per_session_max") {
      limits.commands_per_session_max = static_cast<uint32_t>(ParseNumber(value));
    } else if (key == "junk_commands_per_session_max") {
      limits.junk_commands_per_session_max = static_cast<uint32_t>(ParseNumber(value));
    } else if (key == "recipients_per_message_max") {
      limits.recipients_per_message_max = ParseNumber(value);
    } else if (key == "message_bytes_max") {
      limits.message_bytes_max = ParseNumber(value);
    } else if (key == "command_line_bytes_max") {
      limits.command_line_bytes_max = ParseNumber(value);
    } else if (key == "text_line_bytes_max") {
      limits.text_line_bytes_max = ParseNumber(value);
    } else if (key == "pending_input_bytes_max") {
      limits.pending_input_bytes_max = ParseNumber(value);
    } else if (key == "sessions_per_ip_max") {
      policy_config_.sessions_per_ip_max = ParseNumber(value);
    } else if (key == "sessions_total_max") {
      policy_config_.sessions_total_max = ParseNumber(value);
    } else if (key == "message_burst_per_ip_max") {
      policy_config_.message_burst_per_ip_max = static_cast<uint32_t>(ParseNumber(value));
    } else if (key == "message_interval_per_ip") {
      policy_config_.message_interval_per_ip = ParseDuration(value);
    } else {
      LB_CHECK(false && "unknown !set key");
    }
  }

  // Opens a session if none is open; false when admission refused the connection.
  bool EnsureSession() {
    if (session_) return true;
    if (refused_) return false;
    if (!policy_) {
      admission_ = std::make_unique<SessionAdmission>(policy_config_.sessions_per_ip_max,
                                                      policy_config_.sessions_total_max);
      rate_limiter_ = std::make_unique<MessageRateLimiter>(policy_config_.message_burst_per_ip_max,
                                                           policy_config_.message_interval_per_ip,
                                                           policy_config_.rate_tracked_clients_max);
      Result<std::unique_ptr<DefaultPolicy>> built =
          BuildDefaultPolicy(policy_config_, resolver_, *rate_limiter_);
      LB_CHECK(built.ok());
      policy_ = std::move(built).value();
    }
    config_.hostname = "mx.example.com";
    config_.postmaster_domain = "example.com";
    Result<SessionAdmission::Ticket> ticket = admission_->Admit(peer_ip_);
    if (!ticket.ok()) {
      PrintReplies(SessionAdmission::RefusalReply(config_.hostname));
      out_ << "[close] (" << ticket.status().message() << ")\n";
      refused_ = true;
      return false;
    }
    ticket_.emplace(std::move(ticket).value());
    session_ = std::make_unique<Session>(config_, policy_->chain, PeerInfo{peer_ip_, 40000});
    session_->Start(now_);
    Drain();
    return true;
  }

  void Feed(const std::string& bytes) {
    session_->OnBytes(bytes, now_, wall_);
    Drain();
  }

  void Commit(std::string_view argument) {
    LB_CHECK(session_ != nullptr);  // a commit answers a proposal of the open session
    if (proposals_pending_ == 0) {
      out_ << "C: [commit " << argument << "] (no proposal pending: not delivered)\n";
      return;
    }
    --proposals_pending_;
    std::string_view kind = argument.substr(0, argument.find(' '));
    std::string id = argument.find(' ') == std::string_view::npos
                         ? "4Q" + std::to_string(mail_count_ + 1)
                         : std::string(argument.substr(argument.find(' ') + 1));
    CommitOutcome outcome = CommitOutcome::kCommitted;
    if (kind == "io-error") {
      outcome = CommitOutcome::kStorageError;
    } else if (kind == "disk-full") {
      outcome = CommitOutcome::kDiskReserve;
    } else {
      LB_CHECK(kind == "ok");
    }
    if (outcome == CommitOutcome::kCommitted) ++mail_count_;
    out_ << "C: [commit " << kind << (outcome == CommitOutcome::kCommitted ? " " + id : "")
         << "]\n";
    session_->OnMailCommitted(outcome, id, now_, wall_);
    Drain();
  }

  void Drain() {
    for (Action& action : session_->TakeActions()) {
      if (auto* send = std::get_if<SendBytes>(&action)) {
        PrintReplies(send->bytes);
      } else if (std::holds_alternative<StartTls>(action)) {
        out_ << "[starttls]\n";
      } else if (std::holds_alternative<CloseConnection>(action)) {
        out_ << "[close]\n";
      } else if (auto* arm = std::get_if<ArmDeadline>(&action)) {
        deadline_ = arm->deadline;
      } else if (auto* propose = std::get_if<ProposeMail>(&action)) {
        PrintProposal(propose->mail);
        ++proposals_pending_;
      }
    }
  }

  void PrintReplies(std::string_view bytes) {
    while (!bytes.empty()) {
      size_t end = bytes.find("\r\n");
      if (end == std::string_view::npos) {
        out_ << "S: " << Escape(bytes) << " [no CRLF]\n";
        return;
      }
      out_ << "S: " << Escape(bytes.substr(0, end)) << "\n";
      bytes.remove_prefix(end + 2);
    }
  }

  void PrintProposal(const MailProposal& mail) {
    out_ << "[propose from=<" << Escape(mail.mail_from) << "> to=";
    for (size_t i = 0; i < mail.rcpt_to.size(); ++i) {
      out_ << (i ? "," : "") << "<" << Escape(mail.rcpt_to[i]) << ">";
    }
    out_ << " helo=" << mail.helo << " peer=" << mail.peer_address
         << " tls=" << (mail.tls_version.empty() ? "none" : mail.tls_version)
         << " smtputf8=" << mail.smtputf8 << " 8bitmime=" << mail.body_8bitmime
         << " bytes=" << mail.raw.size() << "]\n";
    std::string_view raw = mail.raw;
    while (!raw.empty()) {
      size_t end = raw.find("\r\n");
      if (end == std::string_view::npos) {
        out_ << "  | " << Escape(raw) << " [no CRLF]\n";
        break;
      }
      out_ << "  | " << Escape(raw.substr(0, end)) << "\n";
      raw.remove_prefix(end + 2);
    }
  }

  std::ostringstream out_;
  SessionConfig config_;
  PolicyConfig policy_config_;
  std::string peer_ip_ = "198.51.100.7";
  FixedRecipientResolver resolver_;
  std::unique_ptr<MessageRateLimiter> rate_limiter_;
  std::unique_ptr<DefaultPolicy> policy_;
  // Declared before the tickets and sessions: destroyed after them.
  std::unique_ptr<SessionAdmission> admission_;
  struct Held {
    SessionAdmission::Ticket ticket;
    std::unique_ptr<Session> session;
  };
  std::vector<Held> held_;
  std::optional<SessionAdmission::Ticket> ticket_;
  bool refused_ = false;
  std::unique_ptr<Session> session_;
  MonoTime now_{0};
  WallTime wall_ = kWallStart;
  std::optional<MonoTime> deadline_;
  int mail_count_ = 0;
  int proposals_pending_ = 0;
};

// Longest-common-subsequence table over lines; transcripts are small (hundreds of lines).
std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

std::string RunTranscript(std::string_view input) {
  return TranscriptRun().Run(input);
}

std::string UnifiedDiff(std::string_view expected, std::string_view actual,
                        std::string_view expected_name, std::string_view actual_name) {
  if (expected == actual) return "";
  std::vector<std::string> a = SplitLines(expected), b = SplitLines(actual);
  std::vector<std::vector<uint32_t>> lcs(a.size() + 1, std::vector<uint32_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  // One hunk per run of changes, with up to 3 lines of context each side.
  struct Line {
    char tag;
    std::string text;
    size_t a_line;  // 0-based position in `expected` of this or the next expected line
    size_t b_line;
  };
  std::vector<Line> script;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      script.push_back({' ', a[i], i, j});
      ++i;
      ++j;
    } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      script.push_back({'-', a[i], i, j});
      ++i;
    } else {
      script.push_back({'+', b[j], i, j});
      ++j;
    }
  }
  std::string out =
      "--- " + std::string(expected_name) + "\n+++ " + std::string(actual_name) + "\n";
  constexpr size_t kContext = 3;
  size_t k = 0;
  while (k < script.size()) {
    if (script[k].tag == ' ') {
      ++k;
      continue;
    }
    size_t begin = k >= kContext ? k - kContext : 0;
    size_t end = k;
    size_t quiet = 0;
    while (end < script.size() && quiet <= 2 * kContext) {
      quiet = script[end].tag == ' ' ? quiet + 1 : 0;
      ++end;
    }
    end -= quiet > kContext ? quiet - kContext : 0;
    size_t a_count = 0, b_count = 0;
    for (size_t m = begin; m < end; ++m) {
      a_count += script[m].tag != '+';
      b_count += script[m].tag != '-';
    }
    out += "@@ -" + std::to_string(script[begin].a_line + 1) + "," + std::to_string(a_count) +
           " +" + std::to_string(script[begin].b_line + 1) + "," + std::to_string(b_count) +
           " @@\n";
    for (size_t m = begin; m < end; ++m) out += script[m].tag + script[m].text + "\n";
    k = end;
  }
  return out;
}

}  // namespace lifeboat::smtp::testing
