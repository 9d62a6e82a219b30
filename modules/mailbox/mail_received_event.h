#pragma once
// The MailReceived event of an accepted message (events.proto), built from what the SMTP session
// accepted and where the delivery planner files it. Sans-I/O and CPU-bound: a SHA-256 over the
// whole message (bodies are stored once by content hash) and a copy into the event, for up to the
// message size limit, so the SMTP driver builds it off the loop thread (DESIGN.md "Determinism":
// hashing leaves the loop) and only proposes the result.

#include <optional>
#include <string>
#include <vector>

#include "eventlog/events.pb.h"

namespace lifeboat::mailbox {

// What the SMTP session accepted (modules/smtp/actions.h MailProposal), plus the node's choices.
struct AcceptedMail {
  std::string mail_id;  // chosen by the receiving node (the queue id the client is told)
  std::string mail_from;
  std::vector<std::string> rcpt_to;
  std::string raw;  // as received: Received: header + content, dot-unstuffed
  std::string helo;
  std::string peer_address;
  std::string tls_version;
  std::string tls_cipher;
  events::MailSource source = events::MAIL_SOURCE_UNSPECIFIED;
  bool smtputf8 = false;
  bool body_8bitmime = false;
};

// Where the planner files it (MailReceived.deliveries) and, for a journal report, the original
// message it carries, which is stored instead of the report (journal.h).
struct FilingPlan {
  std::vector<events::MailDelivery> deliveries;
  std::optional<std::string> replacement_raw;
};

// The event; body_sha256 is the SHA-256 of the raw bytes it stores.
events::Event BuildMailReceivedEvent(AcceptedMail mail, FilingPlan plan);

}  // namespace lifeboat::mailbox
