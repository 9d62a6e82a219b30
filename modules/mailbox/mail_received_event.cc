#include "modules/mailbox/mail_received_event.h"

#include <openssl/sha.h>

#include <utility>

namespace lifeboat::mailbox {

events::Event BuildMailReceivedEvent(AcceptedMail mail, FilingPlan plan) {
  if (plan.replacement_raw.has_value()) mail.raw = std::move(*plan.replacement_raw);
  events::Event event;
  events::MailReceived* received = event.mutable_mail_received();
  received->set_mail_id(std::move(mail.mail_id));
  received->set_mail_from(std::move(mail.mail_from));
  for (std::string& rcpt : mail.rcpt_to) received->add_rcpt_to(std::move(rcpt));
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(mail.raw.data()), mail.raw.size(), digest);
  received->set_body_sha256(digest, sizeof digest);
  received->set_helo(std::move(mail.helo));
  received->set_peer_address(std::move(mail.peer_address));
  received->set_tls_version(std::move(mail.tls_version));
  received->set_tls_cipher(std::move(mail.tls_cipher));
  received->set_source(mail.source);
  received->set_smtputf8(mail.smtputf8);
  received->set_body_8bitmime(mail.body_8bitmime);
  for (events::MailDelivery& delivery : plan.deliveries) {
    *received->add_deliveries() = std::move(delivery);
  }
  received->set_raw(std::move(mail.raw));
  return event;
}

}  // namespace lifeboat::mailbox
