// POST /api/send: one MailReceived event (source MAIL_SOURCE_WEBMAIL) carrying the message the
// node wrote (mailbox/outgoing_message.h), filed in the sender's Sent and in the Inbox of every
// local recipient, its rcpt_to the recipients the delivery engine relays (issue 12 item 2).
// The From is the session user's own address from the directory, never the request's.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>

#include "modules/mailbox/mail_received_event.h"
#include "modules/mailbox/mailbox_keys.h"
#include "modules/mailbox/outgoing_message.h"
#include "modules/webmail/mail_api.pb.h"
#include "modules/webmail/mail_limits.h"
#include "modules/webmail/mail_routes.h"
#include "modules/webmail/mail_routes_internal.h"

namespace lifeboat::webmail {
namespace {

// An addr-spec as a browser form sends it: local@domain, printable ASCII or UTF-8 (RFC 6531),
// no spaces, brackets, quotes or separators that could start another header or address.
bool ValidAddress(std::string_view address) {
  if (address.empty() || address.size() > kAddressBytesMax) return false;
  size_t at = address.rfind('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == address.size()) return false;
  if (address.find('@') != at) return false;
  for (unsigned char c : address) {
    if (c <= ' ' || c == 0x7f) return false;
    if (std::string_view("<>()[]\\,;:\"").find(static_cast<char>(c)) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool HasControl(std::string_view text, bool allow_newlines) {
  for (unsigned char c : text) {
    if (allow_newlines && (c == '\n' || c == '\r' || c == '\t')) continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// What the loop thread decided before the job: the mail's id and time.
struct SendPlan {
  std::string user_id;
  std::string mail_id;
  int64_t date_unix_seconds = 0;
  std::string peer_address;
  SendBody body;
};

Reply RunSend(const MailStore& store, const SendPlan& plan) {
  std::optional<events::DirectoryEntry> sender = store.directory.FindById(plan.user_id);
  if (!sender.has_value() || sender->primary_address().empty()) {
    return ErrorResponse(403, "no_address", "your account has no mail address to send from");
  }
  mailbox::OutgoingMessage message;
  message.from = {sender->display_name(), sender->primary_address()};
  for (const std::string& to : plan.body.to()) message.to.push_back({"", to});
  for (const std::string& cc : plan.body.cc()) message.cc.push_back({"", cc});
  message.subject = plan.body.subject();
  message.text = plan.body.text();
  message.date_unix_seconds = plan.date_unix_seconds;
  std::string domain = sender->primary_address().substr(sender->primary_address().rfind('@') + 1);
  message.message_id = plan.mail_id + "@" + domain;
  if (!plan.body.in_reply_to().empty()) {
    // A reply names one of the user's own messages: another user's id is not found (404).
    auto parent = store.mailboxes.GetMessage(plan.user_id, plan.body.in_reply_to());
    if (!parent.ok()) return internal::StoreError(parent.status());
    message.in_reply_to = parent->metadata().message_id();
  }
  for (const SendAttachment& attachment : plan.body.attachments()) {
    message.attachments.push_back(
        {attachment.name(), attachment.content_type(), attachment.data_base64()});
  }
  std::string raw = mailbox::WriteOutgoingMessage(message);
  if (raw.size() > kSendMessageBytesMax) {
    return ErrorResponse(413, "message_too_large",
                         "the message is above " + std::to_string(kSendMessageBytesMax) + " bytes");
  }
  mailbox::AcceptedMail accepted;
  accepted.mail_id = plan.mail_id;
  accepted.mail_from = sender->primary_address();
  accepted.raw = std::move(raw);
  accepted.peer_address = plan.peer_address;
  accepted.source = events::MAIL_SOURCE_WEBMAIL;
  accepted.smtputf8 = false;
  mailbox::FilingPlan filing;
  // Sent first: the first delivery to a mailbox gets id = mail_id (mailbox_projection.h).
  events::MailDelivery sent;
  sent.set_mailbox_id(plan.user_id);
  sent.set_folder(std::string(mailbox::kSentFolder));
  filing.deliveries.push_back(sent);
  std::set<std::string> inboxes;
  std::set<std::string> recipients;
  for (const auto* list : {&plan.body.to(), &plan.body.cc()}) {
    for (const std::string& address : *list) {
      if (!recipients.insert(address).second) continue;
      accepted.rcpt_to.push_back(address);
      for (const std::string& mailbox_id : store.directory.MailboxesFor(address)) {
        inboxes.insert(mailbox_id);
      }
    }
  }
  for (const std::string& mailbox_id : inboxes) {
    events::MailDelivery inbox;
    inbox.set_mailbox_id(mailbox_id);
    inbox.set_folder(std::string(mailbox::kInboxFolder));
    filing.deliveries.push_back(inbox);
  }
  SendReply answer;
  answer.set_id(plan.mail_id);
  Reply reply = internal::MailJsonReply(202, answer);
  reply.events.push_back(mailbox::BuildMailReceivedEvent(std::move(accepted), std::move(filing)));
  return reply;
}

std::optional<Reply> CheckSendBody(const SendBody& body) {
  if (body.to_size() + body.cc_size() == 0) {
    return ErrorResponse(400, "no_recipient", "give at least one recipient");
  }
  if (static_cast<size_t>(body.to_size() + body.cc_size()) > kSendRecipientsMax) {
    return ErrorResponse(400, "too_many_recipients",
                         "at most " + std::to_string(kSendRecipientsMax) + " recipients");
  }
  for (const auto* list : {&body.to(), &body.cc()}) {
    for (const std::string& address : *list) {
      if (!ValidAddress(address)) return ErrorResponse(400, "bad_address", "not an address");
    }
  }
  if (body.subject().size() > kSendSubjectBytesMax || HasControl(body.subject(), false)) {
    return ErrorResponse(400, "bad_subject", "subject too long or with control characters");
  }
  if (body.text().size() > kSendTextBytesMax || HasControl(body.text(), true)) {
    return ErrorResponse(400, "bad_text", "text too long or with control characters");
  }
  if (!body.in_reply_to().empty() && !internal::ValidMessageId(body.in_reply_to())) {
    return ErrorResponse(400, "bad_reply", "in_reply_to is not a message id");
  }
  if (static_cast<size_t>(body.attachments_size()) > kSendAttachmentsMax) {
    return ErrorResponse(400, "too_many_attachments",
                         "at most " + std::to_string(kSendAttachmentsMax) + " attachments");
  }
  for (const SendAttachment& attachment : body.attachments()) {
    if (attachment.name().size() > kSendAttachmentNameBytesMax ||
        HasControl(attachment.name(), false) || HasControl(attachment.content_type(), false) ||
        attachment.content_type().size() > kSendAttachmentNameBytesMax) {
      return ErrorResponse(400, "bad_attachment", "attachment name or type not acceptable");
    }
  }
  return std::nullopt;
}

}  // namespace

std::string MailRoutes::NewMailId() {
  // Time-ordered (wall micros) then random, as SmtpServer::NewMailId; "web-" says where from.
  char text[64];
  std::snprintf(text, sizeof text, "web-%013llx%08llx",
                static_cast<unsigned long long>(env_.WallNow().count()),
                static_cast<unsigned long long>(env_.RandomU64() & 0xffffffffull));
  return text;
}

std::variant<Reply, StartMailJob> MailRoutes::Send(const HttpRequest& request,
                                                   const std::string& user_id) {
  auto plan = std::make_shared<SendPlan>();
  if (!internal::ParseJsonBody(request.body, plan->body)) {
    return ErrorResponse(400, "malformed_json", "malformed JSON");
  }
  if (std::optional<Reply> refused = CheckSendBody(plan->body)) return std::move(*refused);
  plan->user_id = user_id;
  plan->mail_id = NewMailId();
  plan->date_unix_seconds = env_.WallNow().count() / 1'000'000;
  plan->peer_address = request.peer_address;
  return StartMailJob{[plan](const MailStore& store) { return RunSend(store, *plan); }};
}

}  // namespace lifeboat::webmail
