// The mail transaction of the SMTP client (RFC 5321 3.3): [RSET] MAIL, RCPT..., DATA, content,
// with PIPELINING (RFC 2920) when the server offers it, and the outcome per recipient.
#include <utility>

#include "modules/delivery/message_content.h"
#include "modules/delivery/smtp_client.h"

namespace lifeboat::delivery {
namespace {

// A path may go inside <...> on a command line: no CR, LF, angle brackets, spaces or controls
// (they would end or split the command: RFC 5321 4.1.2 allows none of them outside a quoted
// local part, which we do not relay), and at most kAddressBytesMax.
bool IsSendablePath(std::string_view path) {
  if (path.size() > kAddressBytesMax) return false;
  for (char c : path) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '<' || c == '>') return false;
  }
  return true;
}

RecipientOutcome OutcomeOf(const ServerReply& reply) {
  if (reply.Class() == 5) return RecipientOutcome::kBounce;
  return RecipientOutcome::kRetry;  // 4xx, or a reply class that makes no sense here
}

}  // namespace

Status SmtpClient::Send(Envelope envelope, MonoTime now) {
  LB_CHECK(can_send());
  if (envelope.rcpt_to.empty() || envelope.rcpt_to.size() > kRecipientsPerTransactionMax) {
    return Status::InvalidArgument("an envelope needs 1 to " +
                                   std::to_string(kRecipientsPerTransactionMax) + " recipients");
  }
  if (!IsSendablePath(envelope.mail_from)) {
    return Status::InvalidArgument("reverse-path cannot be sent: " + envelope.mail_from);
  }
  for (const std::string& recipient : envelope.rcpt_to) {
    if (recipient.empty() || !IsSendablePath(recipient)) {
      return Status::InvalidArgument("forward-path cannot be sent: " + recipient);
    }
  }
  envelope_ = std::move(envelope);
  results_.assign(envelope_->rcpt_to.size(), std::nullopt);
  accepted_.assign(envelope_->rcpt_to.size(), false);
  mail_accepted_ = false;
  if (phase_ == Phase::kIdle) BeginTransaction(now);
  return Status::Ok();
}

void SmtpClient::BeginTransaction(MonoTime now) {
  LB_CHECK(phase_ == Phase::kIdle && envelope_ && awaiting_.empty() && unsent_.empty());
  const Envelope& mail = *envelope_;
  if (mail.body_8bit && !extensions_.eight_bit_mime) {
    // RFC 6152 3: 8-bit data only to a server that announced 8BITMIME. Converting to 7 bits
    // would break a DKIM signature; the sender learns why.
    SetUnsetResults(RecipientOutcome::kBounce, 0,
                    "5.6.3 the primary does not accept 8-bit mail (no 8BITMIME)", false);
    FinishTransaction(now);
    return BecomeReady(now);
  }
  uint64_t size = ContentSizeBytes(mail.content);
  if (extensions_.size && extensions_.size_max_bytes > 0 && size > extensions_.size_max_bytes) {
    // RFC 1870 6.2: the server would refuse it; do not send it at all.
    SetUnsetResults(RecipientOutcome::kBounce, 0,
                    "5.3.4 message of " + std::to_string(size) +
                        " bytes exceeds the primary's fixed maximum of " +
                        std::to_string(extensions_.size_max_bytes),
                    false);
    FinishTransaction(now);
    return BecomeReady(now);
  }
  phase_ = Phase::kTransaction;
  // RFC 5321 4.1.1.5: RSET before reusing the connection clears whatever state a previous,
  // possibly failed transaction left on the server.
  if (transactions_ > 0) unsent_.push_back({Expect::kRset, "RSET\r\n", 0});
  ++transactions_;
  std::string mail_command = "MAIL FROM:<" + mail.mail_from + ">";
  if (extensions_.size) mail_command += " SIZE=" + std::to_string(size);
  if (mail.body_8bit) mail_command += " BODY=8BITMIME";
  unsent_.push_back({Expect::kMail, mail_command + "\r\n", 0});
  for (size_t i = 0; i < mail.rcpt_to.size(); ++i) {
    unsent_.push_back({Expect::kRcpt, "RCPT TO:<" + mail.rcpt_to[i] + ">\r\n", i});
  }
  unsent_.push_back({Expect::kData, "DATA\r\n", 0});
  if (extensions_.pipelining && config_.use_pipelining) {
    // RFC 2920 3.1: RSET, MAIL and RCPT may be grouped; DATA ends the group.
    std::string group;
    while (!unsent_.empty()) {
      group += unsent_.front().command;
      awaiting_.push_back(std::move(unsent_.front()));
      unsent_.pop_front();
    }
    actions_.push_back(SendBytes{std::move(group)});
    Arm(now + TimeoutFor(awaiting_.front().expect));
    return;
  }
  SendNextUnsent(now);
}

void SmtpClient::SendNextUnsent(MonoTime now) {
  LB_CHECK(!unsent_.empty() && awaiting_.empty());
  Pending next = std::move(unsent_.front());
  unsent_.pop_front();
  std::string command = std::move(next.command);
  Duration timeout = TimeoutFor(next.expect);
  awaiting_.push_back(std::move(next));
  SendCommand(std::move(command), timeout, now);
}

Duration SmtpClient::TimeoutFor(Expect expect) const {
  switch (expect) {
    case Expect::kRset:
    case Expect::kMail:
      return config_.limits.mail;
    case Expect::kRcpt:
      return config_.limits.rcpt;
    case Expect::kData:
      return config_.limits.data_initiation;
    case Expect::kDot:
    case Expect::kLoneDot:
      return config_.limits.data_termination;
  }
  return config_.limits.mail;
}

void SmtpClient::OnTransactionReply(const ServerReply& reply, MonoTime now) {
  if (awaiting_.empty()) {
    return FailSession("unexpected reply: " + reply.Text(), reply.code, false, now);
  }
  Pending pending = std::move(awaiting_.front());
  awaiting_.pop_front();
  switch (pending.expect) {
    case Expect::kRset:
      if (reply.Class() != 2) {
        return FailSession("RSET refused: " + reply.Text(), reply.code, true, now);
      }
      break;
    case Expect::kMail:
      if (reply.Class() == 2) {
        mail_accepted_ = true;
      } else {
        SetUnsetResults(OutcomeOf(reply), reply.code, reply.Text(), false);
        unsent_.clear();  // without PIPELINING nothing more is sent for this mail
      }
      break;
    case Expect::kRcpt:
      if (!mail_accepted_) break;  // the MAIL reply decided already
      if (reply.Class() == 2) {
        accepted_[pending.recipient] = true;
      } else {
        SetResult(pending.recipient, OutcomeOf(reply), reply.code, reply.Text());
      }
      if (unsent_.size() == 1 && unsent_.front().expect == Expect::kData) {
        bool any_accepted = false;
        for (bool accepted : accepted_) any_accepted = any_accepted || accepted;
        if (!any_accepted) unsent_.clear();  // every RCPT failed: no DATA
      }
      break;
    case Expect::kData:
      return OnDataReply(reply, now);
    case Expect::kDot:
      for (size_t i = 0; i < accepted_.size(); ++i) {
        if (!accepted_[i]) continue;
        SetResult(i, reply.Class() == 2 ? RecipientOutcome::kDelivered : OutcomeOf(reply),
                  reply.code, reply.Text());
      }
      break;
    case Expect::kLoneDot:
      break;  // ends a DATA the server should not have accepted; its reply means nothing
  }
  if (!unsent_.empty()) return SendNextUnsent(now);
  if (!awaiting_.empty()) return Arm(now + TimeoutFor(awaiting_.front().expect));
  FinishTransaction(now);
  BecomeReady(now);
}

void SmtpClient::OnDataReply(const ServerReply& reply, MonoTime now) {
  bool any_accepted = false;
  for (bool accepted : accepted_) any_accepted = any_accepted || accepted;
  if (reply.Class() == 3) {
    if (mail_accepted_ && any_accepted) {
      actions_.push_back(SendBytes{EncodeContent(envelope_->content)});
      awaiting_.push_back({Expect::kDot, "", 0});
    } else {
      // RFC 2920 3.1: DATA accepted although no recipient was: end it with an empty message.
      actions_.push_back(SendBytes{".\r\n"});
      awaiting_.push_back({Expect::kLoneDot, "", 0});
    }
    Arm(now + TimeoutFor(awaiting_.front().expect));
    return;
  }
  if (mail_accepted_) {
    for (size_t i = 0; i < accepted_.size(); ++i) {
      if (accepted_[i]) SetResult(i, OutcomeOf(reply), reply.code, reply.Text());
    }
  }
  FinishTransaction(now);
  BecomeReady(now);
}

void SmtpClient::SetResult(size_t recipient, RecipientOutcome outcome, int code,
                           std::string reply) {
  LB_CHECK(envelope_ && recipient < results_.size() && !results_[recipient].has_value());
  RecipientResult result;
  result.recipient = envelope_->rcpt_to[recipient];
  result.outcome = outcome;
  result.smtp_code = code;
  result.reply = std::move(reply);
  results_[recipient] = std::move(result);
}

void SmtpClient::SetUnsetResults(RecipientOutcome outcome, int code, const std::string& reply,
                                 bool maybe_delivered) {
  for (size_t i = 0; i < results_.size(); ++i) {
    if (results_[i].has_value()) continue;
    SetResult(i, outcome, code, reply);
    results_[i]->maybe_delivered = maybe_delivered;
  }
}

void SmtpClient::FinishTransaction(MonoTime now) {
  (void)now;
  LB_CHECK(envelope_);
  TransactionDone done;
  for (std::optional<RecipientResult>& result : results_) {
    LB_CHECK(result.has_value());
    done.results.push_back(std::move(*result));
  }
  actions_.push_back(std::move(done));
  envelope_.reset();
  results_.clear();
  accepted_.clear();
  awaiting_.clear();
  unsent_.clear();
  mail_accepted_ = false;
  if (phase_ == Phase::kTransaction) phase_ = Phase::kIdle;
}

}  // namespace lifeboat::delivery
