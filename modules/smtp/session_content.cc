// Message content: reading DATA and BDAT octets, refusing bad content, proposing the message.
#include <algorithm>

#include "appliance/env/check.h"
#include "modules/smtp/received_header.h"
#include "modules/smtp/session.h"

namespace lifeboat::smtp {

// Feeds buffered input to the DATA decoder. Returns true when the phase changed (the caller
// continues with the next phase), false when more input is needed.
bool Session::ProcessData(MonoTime now, WallTime wall) {
  LB_CHECK(data_decoder_.has_value());
  size_t consumed = data_decoder_->Feed(input_.View());
  input_.Consume(consumed);
  switch (data_decoder_->state()) {
    case DataDecoder::State::kNeedMore:
      return false;
    case DataDecoder::State::kBareLf:
    case DataDecoder::State::kBareCr:
      // SMTP smuggling (SEC Consult, 2023): "<LF>.<LF>", "<CR>.<CR>", "<LF>.<CR><LF>" ... end the
      // message for some servers and not others, so one message can hide a second one. RFC 5321
      // 2.3.8 and 4.1.1.4 allow only CRLF "." CRLF. As Postfix smtpd_forbid_bare_newline=reject
      // (smtpd_forbid_bare_newline_reject_code default 550, text "5.5.2 Error: bare <LF>
      // received") we refuse and close: after a bare newline we no longer know where the client
      // thinks the message ends, so nothing it sends next can be trusted as a command.
      CloseWith(MakeReply(550, "5.5.2",
                          data_decoder_->state() == DataDecoder::State::kBareLf
                              ? "Error: bare <LF> received"
                              : "Error: bare <CR> received"));
      return false;
    case DataDecoder::State::kEnd:
      break;
  }
  std::optional<Reply> failure = ContentFailure();
  data_decoder_.reset();
  phase_ = Phase::kCommand;
  if (failure) {
    ResetTransaction();
    Respond(*failure);
    SetDeadline(now, config_.limits.server_idle_timeout);
    return !closed();
  }
  ProposeMessage(now, wall);
  return false;
}

// Consumes the octets of the BDAT chunk in flight (RFC 3030 2: exactly chunk-size octets).
bool Session::ProcessBdatChunk(MonoTime now, WallTime wall) {
  if (bdat_remaining_bytes_ > 0) {
    std::string_view view = input_.View();
    size_t take = static_cast<size_t>(
        std::min<uint64_t>(bdat_remaining_bytes_, static_cast<uint64_t>(view.size())));
    if (take == 0) return false;
    if (!bdat_discard_reply_ && chunk_decoder_) chunk_decoder_->Feed(view.substr(0, take));
    input_.Consume(take);
    bdat_remaining_bytes_ -= take;
    if (bdat_remaining_bytes_ > 0) return false;
  }
  FinishBdatChunk(now, wall);
  return phase_ == Phase::kCommand;
}

void Session::FinishBdatChunk(MonoTime now, WallTime wall) {
  phase_ = Phase::kCommand;
  SetDeadline(now, config_.limits.server_idle_timeout);
  if (bdat_discard_reply_) {
    Reply reply = *bdat_discard_reply_;
    bdat_discard_reply_.reset();
    // After the LAST chunk the failed transaction is over (RFC 3030 2).
    if (bdat_last_ && transaction_.bdat_failure) ResetTransaction();
    Respond(reply);
    return;
  }
  LB_CHECK(chunk_decoder_.has_value());
  if (bdat_last_) chunk_decoder_->Finish();
  std::optional<Reply> failure = ContentFailure();
  if (failure) {
    // The framing is intact (the octets were counted), so the session goes on; the transaction
    // is failed and later chunks of it are discarded with the same reply.
    if (bdat_last_) {
      ResetTransaction();
    } else {
      transaction_.bdat_failure = failure;
      chunk_decoder_.reset();
    }
    Respond(*failure);
    return;
  }
  if (!bdat_last_) {
    Respond(
        MakeReply(250, "2.0.0", "Ok: " + std::to_string(bdat_chunk_bytes_) + " octets received"));
    return;
  }
  chunk_decoder_.reset();
  ProposeMessage(now, wall);
}

// Why the content just read cannot be accepted, if it cannot.
std::optional<Reply> Session::ContentFailure() const {
  const ContentSink* sink = data_decoder_ ? static_cast<const ContentSink*>(&*data_decoder_)
                                          : static_cast<const ContentSink*>(&*chunk_decoder_);
  LB_CHECK(sink != nullptr);
  if (sink->too_big()) {
    // RFC 1870 6.2 / RFC 5321 4.5.3.1.10: "552 Too much mail data"; RFC 3463 X.3.4.
    return MakeReply(552, "5.3.4", "Error: message file too big");
  }
  if (chunk_decoder_ && chunk_decoder_->bare_newline()) {
    // Counted BDAT octets cannot desynchronise us, but the message would be relayed later with
    // DATA, where a bare LF is the smuggling vector (see ProcessData). RFC 3030 2 keeps RFC 5322
    // line rules for non-BINARYMIME content.
    return MakeReply(550, "5.5.2", "Error: bare <CR> or <LF> in message content");
  }
  if (sink->line_too_long()) {
    // RFC 5321 4.5.3.1.6 and 4.5.3.1.10 ("500 Line too long").
    return MakeReply(500, "5.5.2", "Error: message text line too long");
  }
  return std::nullopt;
}

void Session::ProposeMessage(MonoTime now, WallTime wall) {
  LB_CHECK(transaction_.active && !transaction_.recipients.empty());
  TraceFacts facts;
  facts.helo = helo_;
  facts.peer_ip = peer_.ip;
  facts.hostname = config_.hostname;
  facts.esmtp = extended_;
  facts.smtputf8 = transaction_.parameters.smtputf8;
  if (tls_) {
    facts.tls_version = tls_->version;
    facts.tls_cipher = tls_->cipher;
  }
  if (transaction_.recipients.size() == 1) facts.single_recipient = transaction_.recipients[0];
  facts.when = wall;

  MailProposal mail;
  mail.mail_from = transaction_.mail_from;
  mail.rcpt_to = transaction_.recipients;
  const std::string trace = FormatReceivedHeader(facts);  // RFC 5321 4.4: prepended
  mail.raw.reserve(trace.size() + transaction_.content.size());
  mail.raw = trace;
  mail.raw += transaction_.content;
  std::string().swap(transaction_.content);  // one copy of a large message, not two
  mail.helo = helo_;
  bool v6 = peer_.ip.find(':') != std::string::npos;
  mail.peer_address = (v6 ? "[" + peer_.ip + "]" : peer_.ip) + ":" + std::to_string(peer_.port);
  if (tls_) {
    mail.tls_version = tls_->version;
    mail.tls_cipher = tls_->cipher;
  }
  mail.smtputf8 = transaction_.parameters.smtputf8;
  mail.body_8bitmime = transaction_.parameters.body_8bitmime;

  Flush();  // replies before this point go out first: the client may be waiting for them
  actions_.emplace_back(ProposeMail{std::move(mail)});
  phase_ = Phase::kAwaitingCommit;
  SetDeadline(now, config_.limits.commit_reply_timeout);
}

}  // namespace lifeboat::smtp
