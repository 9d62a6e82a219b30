#include "modules/delivery/queue_projection.h"

#include <algorithm>
#include <utility>

namespace lifeboat::delivery {
namespace {

constexpr std::string_view kMailKeyPrefix = "mail/";

std::string MailKey(std::string_view mail_id) {
  std::string key(kMailKeyPrefix);
  key += mail_id;
  return key;
}

QueuedMail FromStored(const events::Event& stored) {
  const events::MailReceived& received = stored.mail_received();
  QueuedMail mail;
  mail.mail_id = received.mail_id();
  mail.event_index = stored.index();
  mail.received = WallTime(stored.timestamp_unix_micros());
  mail.mail_from = received.mail_from();
  mail.rcpt_to.assign(received.rcpt_to().begin(), received.rcpt_to().end());
  mail.body_8bit = received.body_8bitmime();
  return mail;
}

Result<events::Event> ParseStored(std::string_view key, std::string_view value) {
  events::Event stored;
  if (!stored.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
      !stored.has_mail_received() || stored.mail_received().mail_id().empty() ||
      stored.mail_received().rcpt_to_size() == 0) {
    return Status::Corruption("queue: stored value of '" + std::string(key) + "' does not parse");
  }
  return stored;
}

}  // namespace

Status QueueProjection::Apply(const events::Event& event, eventlog::ProjectionState& state) {
  switch (event.payload_case()) {
    case events::Event::kMailReceived: {
      const events::MailReceived& received = event.mail_received();
      if (received.source() != events::MAIL_SOURCE_SMTP_INBOUND) return Status::Ok();
      if (received.mail_id().empty()) return Status::Corruption("MailReceived without a mail id");
      if (received.rcpt_to_size() == 0) return Status::Ok();
      events::Event stored;
      stored.set_index(event.index());
      stored.set_timestamp_unix_micros(event.timestamp_unix_micros());
      events::MailReceived* trimmed = stored.mutable_mail_received();
      trimmed->set_mail_id(received.mail_id());
      trimmed->set_mail_from(received.mail_from());
      *trimmed->mutable_rcpt_to() = received.rcpt_to();
      trimmed->set_body_8bitmime(received.body_8bitmime());
      trimmed->set_source(received.source());
      state.Put(MailKey(received.mail_id()), stored.SerializeAsString());
      staged_.push_back({false, FromStored(stored)});
      return Status::Ok();
    }
    case events::Event::kDelivered:
      return ApplyDone(event.delivered().mail_id(), event.delivered().rcpt_to(), state);
    case events::Event::kBounced:
      return ApplyDone(event.bounced().mail_id(), event.bounced().rcpt_to(), state);
    default:
      return Status::Ok();
  }
}

Status QueueProjection::ApplyDone(const std::string& mail_id,
                                  const google::protobuf::RepeatedPtrField<std::string>& rcpt_to,
                                  eventlog::ProjectionState& state) {
  const std::string key = MailKey(mail_id);
  auto value = state.Get(key);
  if (!value.ok()) return value.status();
  // A Delivered or Bounced for a mail not queued here (a DSN we sent, a recipient already
  // done by an earlier event) changes nothing.
  if (!value->has_value()) return Status::Ok();
  auto stored = ParseStored(key, **value);
  if (!stored.ok()) return stored.status();
  auto* owed = stored->mutable_mail_received()->mutable_rcpt_to();
  for (const std::string& done : rcpt_to) {
    auto found = std::find(owed->begin(), owed->end(), done);
    if (found != owed->end()) owed->erase(found);
  }
  if (owed->empty()) {
    state.Delete(key);
    Staged removal;
    removal.remove = true;
    removal.mail.mail_id = mail_id;
    staged_.push_back(std::move(removal));
  } else {
    state.Put(key, stored->SerializeAsString());
    staged_.push_back({false, FromStored(*stored)});
  }
  return Status::Ok();
}

void QueueProjection::OnBatchCommitted() {
  for (Staged& change : staged_) {
    if (change.remove) {
      view_.Remove(change.mail.mail_id);
    } else {
      view_.Put(std::move(change.mail));
    }
  }
  staged_.clear();
}

void QueueProjection::OnBatchDiscarded() {
  staged_.clear();
}

Status QueueProjection::Restore(std::string_view key, std::string_view value) {
  if (key.substr(0, kMailKeyPrefix.size()) != kMailKeyPrefix) {
    return Status::Corruption("queue: unknown key '" + std::string(key) + "'");
  }
  auto stored = ParseStored(key, value);
  if (!stored.ok()) return stored.status();
  view_.Put(FromStored(*stored));
  return Status::Ok();
}

void QueueProjection::Clear() {
  staged_.clear();
  view_.Clear();
}

}  // namespace lifeboat::delivery
