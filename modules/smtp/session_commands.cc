// The SMTP commands of the session: what each one checks and answers. Replies carry RFC 3463
// enhanced status codes (RFC 2034), except the greeting, EHLO/HELO and 354.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "appliance/env/check.h"
#include "modules/ascii/ascii_case.h"
#include "modules/smtp/policy/recipient_filters.h"
#include "modules/smtp/session.h"

namespace lifeboat::smtp {
namespace {

// "FROM:" / "TO:" then the path. RFC 5321 4.1.1.2 has no space after the colon; a single one is
// tolerated because widespread clients send it and it cannot make the path ambiguous.
bool StripKeyword(std::string_view arguments, std::string_view keyword, std::string_view* path) {
  if (!ascii::EqualsIgnoreCase(arguments.substr(0, keyword.size()), keyword)) return false;
  std::string_view rest = arguments.substr(keyword.size());
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  *path = rest;
  return !rest.empty() && rest[0] == '<';
}

bool IsPrintableAscii(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace

void Session::OnHello(std::string_view arguments, bool extended, MonoTime now) {
  const char* verb = extended ? "EHLO" : "HELO";
  if (arguments.empty()) {
    Respond(MakeReply(501, "5.5.4", std::string("Syntax: ") + verb + " hostname"));
    return;
  }
  // RFC 5321 4.1.1.1: Domain or address-literal. The name is only recorded (4.1.4 forbids
  // refusing mail because it does not match the client), so one common deviation is tolerated:
  // "_" in labels, which Windows hosts named after their NetBIOS names send.
  std::string relaxed(arguments);
  std::replace(relaxed.begin(), relaxed.end(), '_', 'u');
  if (!IsValidDomain(relaxed, false) && !IsValidAddressLiteral(arguments)) {
    Respond(MakeReply(501, "5.5.4", std::string("Invalid ") + verb + " hostname"));
    return;
  }
  std::string previous_helo = std::move(helo_);
  helo_ = std::string(arguments);
  FilterVerdict verdict = policy_.RunHelo(Context(now));
  if (verdict.stop) {
    helo_ = std::move(previous_helo);
    if (verdict.close) {
      CloseWith(verdict.reply);
    } else {
      Respond(verdict.reply);
    }
    return;
  }
  extended_ = extended;
  ResetTransaction();  // RFC 5321 4.1.4: EHLO/HELO also clears the transaction
  if (!extended) {
    output_ += FormatReply(MakeReply(250, "", config_.hostname));
    return;
  }
  output_ += EhloReplyBytes();
}

std::string Session::EhloReplyBytes() const {
  Reply reply;
  reply.code = 250;
  reply.lines = {config_.hostname,
                 "PIPELINING",                                                // RFC 2920
                 "SIZE " + std::to_string(config_.limits.message_bytes_max),  // RFC 1870
                 "8BITMIME",                                                  // RFC 6152
                 "SMTPUTF8",                                                  // RFC 6531
                 "ENHANCEDSTATUSCODES",                                       // RFC 2034
                 "CHUNKING"};                                                 // RFC 3030
  // RFC 3207 4.2: not advertised once TLS is up.
  if (config_.tls_available && !tls_) reply.lines.push_back("STARTTLS");
  return FormatReply(reply);
}

void Session::OnMail(std::string_view arguments, MonoTime now) {
  if (transaction_.active) {
    Respond(MakeReply(503, "5.5.1", "Error: nested MAIL command"));
    return;
  }
  std::string_view text;
  if (!StripKeyword(arguments, "FROM:", &text)) {
    Respond(MakeReply(501, "5.5.4", "Syntax: MAIL FROM:<address>"));
    return;
  }
  PathParse parse = ParsePath(text, /*allow_null=*/true, /*allow_bare_postmaster=*/false);
  if (!parse.ok) {
    // RFC 5321 4.5.3.1.10 "501 Path too long"; RFC 3463 X.1.7: bad sender address syntax.
    Respond(MakeReply(501, "5.1.7",
                      parse.error == PathError::kTooLong ? "Error: path too long"
                                                         : "Error: bad sender address syntax"));
    return;
  }
  MailParameters parameters;
  Reply error;
  if (!ParseMailParameters(parse.rest, extended_, &parameters, &error)) {
    Respond(error);
    return;
  }
  if (parse.path.mailbox.has_non_ascii && !parameters.smtputf8) {
    // RFC 6531 3.7.4.1 (and 3.6): a UTF-8 address needs the SMTPUTF8 parameter.
    Respond(MakeReply(553, "5.6.7", "Error: non-ASCII address requires SMTPUTF8"));
    return;
  }
  FilterVerdict verdict = policy_.RunMail(Context(now), parse.path, parameters);
  if (verdict.stop) {
    verdict.close ? CloseWith(verdict.reply) : Respond(verdict.reply);
    return;
  }
  transaction_.active = true;
  // RFC 5321 App. C: a source route in the reverse-path is ignored.
  transaction_.mail_from = parse.path.is_null ? "" : parse.path.mailbox.CanonicalAddress();
  transaction_.parameters = parameters;
  Respond(MakeReply(250, "2.1.0", "Ok"));
}

void Session::OnRcpt(std::string_view arguments, MonoTime now) {
  if (!transaction_.active) {
    Respond(MakeReply(503, "5.5.1", "Error: need MAIL command"));
    return;
  }
  std::string_view text;
  if (!StripKeyword(arguments, "TO:", &text)) {
    Respond(MakeReply(501, "5.5.4", "Syntax: RCPT TO:<address>"));
    return;
  }
  PathParse parse = ParsePath(text, /*allow_null=*/false, /*allow_bare_postmaster=*/true);
  if (!parse.ok) {
    if (parse.error == PathError::kEmbeddedAt) {
      // "u@ext@ours": the relay trick of RoutingTrickFilter, caught by the grammar first.
      std::string_view inner = text.substr(1, text.find('>') - 1);
      Respond(IsPrintableAscii(inner) ? RelayDeniedReply(inner)
                                      : MakeReply(550, "5.7.1", "Relay access denied"));
    } else {
      Respond(MakeReply(501, "5.1.3",
                        parse.error == PathError::kTooLong
                            ? "Error: path too long"
                            : "Error: bad recipient address syntax"));
    }
    return;
  }
  Reply error;
  if (!ParseRcptParameters(parse.rest, &error)) {
    Respond(error);
    return;
  }
  if (parse.path.mailbox.has_non_ascii && !transaction_.parameters.smtputf8) {
    Respond(MakeReply(553, "5.6.7", "Error: non-ASCII address requires SMTPUTF8"));
    return;
  }
  FilterVerdict verdict = policy_.RunRcpt(Context(now), parse.path);
  if (verdict.stop) {
    verdict.close ? CloseWith(verdict.reply) : Respond(verdict.reply);
    return;
  }
  const std::string domain =
      config_.postmaster_domain.empty() ? config_.hostname : config_.postmaster_domain;
  transaction_.recipients.push_back(parse.path.is_bare_postmaster
                                        ? "Postmaster@" + domain
                                        : parse.path.mailbox.CanonicalAddress());
  Respond(MakeReply(250, "2.1.5", "Ok"));
}

void Session::OnData(MonoTime now) {
  if (!transaction_.active) {
    Respond(MakeReply(503, "5.5.1", "Error: need MAIL command"));
    return;
  }
  if (transaction_.used_bdat) {
    // RFC 3030 2: DATA after BDAT in one transaction is 503; the client must RSET.
    Respond(MakeReply(503, "5.5.1", "Error: DATA after BDAT, send RSET"));
    return;
  }
  if (transaction_.recipients.empty()) {
    // RFC 5321 3.3: "554 no valid recipients" when every RCPT was refused.
    Respond(MakeReply(554, "5.5.1", "Error: no valid recipients"));
    return;
  }
  FilterVerdict verdict = policy_.RunData(Context(now));
  if (verdict.stop) {
    verdict.close ? CloseWith(verdict.reply) : Respond(verdict.reply);
    return;
  }
  output_ += FormatReply(MakeReply(354, "", "End data with <CR><LF>.<CR><LF>"));
  data_decoder_.emplace(config_.limits.text_line_bytes_max, config_.limits.message_bytes_max,
                        &transaction_.content);
  phase_ = Phase::kData;
  SetDeadline(now, config_.limits.data_block_timeout);
}

void Session::OnBdat(std::string_view arguments, MonoTime now) {
  // "BDAT" SP chunk-size [ SP end-marker ]; chunk-size = 1*DIGIT; end-marker = "LAST".
  size_t space = arguments.find(' ');
  std::string_view size_text = arguments.substr(0, space);
  std::string_view marker =
      space == std::string_view::npos ? std::string_view() : arguments.substr(space + 1);
  uint64_t size = 0;
  auto [end, parse_error] =
      std::from_chars(size_text.data(), size_text.data() + size_text.size(), size);
  bool size_ok = !size_text.empty() && parse_error == std::errc() &&
                 end == size_text.data() + size_text.size();
  bool marker_ok = marker.empty() || ascii::EqualsIgnoreCase(marker, "LAST");
  if (!size_ok || !marker_ok) {
    // Without a size we cannot tell where the chunk ends: its octets would be read as commands.
    // The session cannot resynchronise, so it answers and closes.
    CloseWith(MakeReply(501, "5.5.4", "Syntax: BDAT chunk-size [LAST], closing"));
    return;
  }
  bdat_remaining_bytes_ = size;
  bdat_chunk_bytes_ = size;
  bdat_last_ = !marker.empty();
  bdat_discard_reply_.reset();
  // RFC 3030 2: a refused BDAT still has its octets coming; they are read and thrown away.
  if (!transaction_.active) {
    bdat_discard_reply_ = MakeReply(503, "5.5.1", "Error: need MAIL command");
  } else if (transaction_.recipients.empty()) {
    bdat_discard_reply_ = MakeReply(554, "5.5.1", "Error: no valid recipients");
  } else if (transaction_.bdat_failure) {
    bdat_discard_reply_ = *transaction_.bdat_failure;
  } else if (!transaction_.used_bdat) {
    FilterVerdict verdict = policy_.RunData(Context(now));
    if (verdict.stop) {
      transaction_.bdat_failure = verdict.reply;
      bdat_discard_reply_ = verdict.reply;
    } else {
      transaction_.used_bdat = true;
      chunk_decoder_.emplace(config_.limits.text_line_bytes_max, config_.limits.message_bytes_max,
                             &transaction_.content);
    }
  }
  phase_ = Phase::kBdatChunk;
  SetDeadline(now, config_.limits.data_block_timeout);
}

void Session::OnStartTls(MonoTime now) {
  if (!config_.tls_available) {
    // No certificate loaded: STARTTLS is not advertised, and a client that sends it anyway is told
    // the command is unavailable here (RFC 5321 4.2.4: 502 for a command we do not offer).
    Respond(MakeReply(502, "5.5.1", "Error: STARTTLS is not offered (no certificate)"));
    return;
  }
  if (tls_) {
    Respond(MakeReply(554, "5.5.1", "Error: TLS already active"));  // RFC 3207 4
    return;
  }
  output_ += FormatReply(MakeReply(220, "2.0.0", "Ready to start TLS"));
  Flush();
  actions_.emplace_back(StartTls{});
  phase_ = Phase::kAwaitingTls;
  input_.Clear();  // CVE-2011-0411: pipelined plaintext is dropped, never answered
  ResetTransaction();
  SetDeadline(now, config_.limits.server_idle_timeout);
}

void Session::OnHelp() {
  Reply reply;
  reply.code = 214;
  reply.enhanced = "2.0.0";
  std::string verbs = "Commands:";
  for (const CommandSpec& spec : CommandTable()) {
    if (spec.id == CommandId::kExpn) continue;  // known, but switched off
    verbs += ' ';
    verbs += spec.verb;
  }
  reply.lines = {verbs, "See RFC 5321, RFC 3030, RFC 3207"};
  Respond(reply);
}

}  // namespace lifeboat::smtp
