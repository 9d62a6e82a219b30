#include "modules/delivery/delivery_queue.h"

#include <algorithm>

#include "modules/delivery/smtp_client_limits.h"

namespace lifeboat::delivery {
namespace {

int64_t Micros(WallTime time) {
  return time.count();
}

}  // namespace

void DeliveryQueue::Add(const std::string& mail_id, const std::string& mail_from,
                        const std::vector<std::string>& rcpt_to, const std::string& destination,
                        WallTime received) {
  LB_CHECK(!rcpt_to.empty());
  LB_CHECK(received_of_.emplace(mail_id, received).second);
  Mail mail;
  mail.mail_from = mail_from;
  mail.destination = destination;
  mail.received = received;
  mail.next_attempt = received;
  for (const std::string& address : rcpt_to) mail.recipients.push_back({address, false});
  mails_.emplace(Key(received, mail_id), std::move(mail));
}

std::vector<DeliveryAttempt> DeliveryQueue::TakeDue(WallTime now, size_t attempts_max) {
  return TakeDue(now, attempts_max, [](const std::string&) { return true; });
}

size_t DeliveryQueue::CountRecipients(const RecipientFilter& matches) const {
  size_t count = 0;
  for (const auto& [key, mail] : mails_) {
    for (const Recipient& recipient : mail.recipients) {
      if (matches(recipient.address)) ++count;
    }
  }
  return count;
}

std::vector<DeliveryAttempt> DeliveryQueue::TakeDue(WallTime now, size_t attempts_max,
                                                    const RecipientFilter& relay_now) {
  std::vector<DeliveryAttempt> due;
  for (auto& [key, mail] : mails_) {
    if (due.size() == attempts_max) break;
    if (mail.next_attempt > now) continue;
    DeliveryAttempt attempt;
    for (Recipient& recipient : mail.recipients) {
      if (recipient.in_flight || !relay_now(recipient.address)) continue;
      if (attempt.rcpt_to.size() == kRecipientsPerTransactionMax) break;
      recipient.in_flight = true;
      attempt.rcpt_to.push_back(recipient.address);
    }
    if (attempt.rcpt_to.empty()) continue;  // all in flight
    attempt.mail_id = key.second;
    attempt.mail_from = mail.mail_from;
    attempt.destination = mail.destination;
    attempt.attempt = mail.attempts + 1;
    due.push_back(std::move(attempt));
  }
  return due;
}

AttemptOutcome DeliveryQueue::OnResults(const DeliveryAttempt& attempt,
                                        const std::vector<RecipientResult>& results,
                                        const std::string& remote_host, WallTime now,
                                        uint64_t random) {
  auto time = received_of_.find(attempt.mail_id);
  LB_CHECK(time != received_of_.end());
  auto found = mails_.find(Key(time->second, attempt.mail_id));
  LB_CHECK(found != mails_.end());
  Mail& mail = found->second;
  LB_CHECK(results.size() == attempt.rcpt_to.size());
  mail.attempts = std::max(mail.attempts, attempt.attempt);

  std::optional<WallTime> next =
      NextAttemptTime(policy_, attempt.attempt, mail.received, now, random);
  AttemptOutcome outcome;
  events::Event attempted_event;
  events::DeliveryAttempted* attempted = attempted_event.mutable_delivery_attempted();
  attempted->set_mail_id(attempt.mail_id);
  attempted->set_destination(attempt.destination);
  attempted->set_attempt(attempt.attempt);
  events::Event delivered_event;
  events::Delivered* delivered = delivered_event.mutable_delivered();
  delivered->set_mail_id(attempt.mail_id);
  delivered->set_destination(attempt.destination);
  std::vector<events::Event> bounced;
  bool any_retry = false;

  for (size_t i = 0; i < results.size(); ++i) {
    const RecipientResult& result = results[i];
    LB_CHECK(result.recipient == attempt.rcpt_to[i]);
    attempted->add_rcpt_to(result.recipient);
    if (attempted->smtp_code() == 0 && result.outcome != RecipientOutcome::kDelivered) {
      attempted->set_smtp_code(static_cast<uint32_t>(result.smtp_code));
      attempted->set_smtp_reply(result.reply);
    }
    if (result.maybe_delivered) ++possible_duplicates_;
    bool done = true;
    bool expired = false;
    switch (result.outcome) {
      case RecipientOutcome::kDelivered:
        delivered->add_rcpt_to(result.recipient);
        delivered->set_smtp_reply(result.reply);
        break;
      case RecipientOutcome::kRetry:
        if (next) {
          done = false;
          any_retry = true;
        } else {
          expired = true;
        }
        break;
      case RecipientOutcome::kBounce:
        break;
    }
    if (result.outcome != RecipientOutcome::kDelivered && done) {
      events::Event event;
      events::Bounced* bounce = event.mutable_bounced();
      bounce->set_mail_id(attempt.mail_id);
      bounce->add_rcpt_to(result.recipient);
      bounce->set_smtp_code(static_cast<uint32_t>(result.smtp_code));
      bounce->set_smtp_reply(result.reply);
      bounce->set_reason(expired ? "maximum age reached after " + std::to_string(attempt.attempt) +
                                       " attempts"
                                 : "refused by the primary");
      bounced.push_back(std::move(event));
      if (!mail.mail_from.empty()) {
        DsnRecipient notify;
        notify.recipient = result.recipient;
        notify.smtp_code = result.smtp_code;
        notify.diagnostic = result.reply;
        notify.expired = expired;
        notify.remote_mta = result.smtp_code != 0 ? remote_host : "";
        notify.last_attempt = now;
        outcome.dsn_recipients.push_back(std::move(notify));
      }
    }
    auto recipient =
        std::find_if(mail.recipients.begin(), mail.recipients.end(),
                     [&](const Recipient& r) { return r.address == result.recipient; });
    LB_CHECK(recipient != mail.recipients.end() && recipient->in_flight);
    if (done) {
      mail.recipients.erase(recipient);
    } else {
      recipient->in_flight = false;
    }
  }
  if (any_retry) {
    attempted->set_next_attempt_unix_micros(Micros(*next));
    mail.next_attempt = *next;
  }
  outcome.events.push_back(std::move(attempted_event));
  if (delivered->rcpt_to_size() > 0) outcome.events.push_back(std::move(delivered_event));
  for (events::Event& event : bounced) outcome.events.push_back(std::move(event));
  if (mail.recipients.empty()) {
    mails_.erase(found);
    received_of_.erase(time);
  }
  return outcome;
}

std::optional<WallTime> DeliveryQueue::NextDue() const {
  std::optional<WallTime> next;
  for (const auto& [key, mail] : mails_) {
    bool waiting = std::any_of(mail.recipients.begin(), mail.recipients.end(),
                               [](const Recipient& r) { return !r.in_flight; });
    if (waiting && (!next || mail.next_attempt < *next)) next = mail.next_attempt;
  }
  return next;
}

}  // namespace lifeboat::delivery
