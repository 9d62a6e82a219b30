#pragma once
// The "mailbox" projection (DESIGN.md "Data path" 4, "Storage"): folds mail and mailbox events
// into mailboxes, folders and message entries under "p/mailbox/" (key layout: mailbox_keys.h).
//
//  * MailboxProvisioned creates a mailbox with Inbox and Sent (or marks a mailbox that mail
//    reached first as provisioned, keeping that mail).
//  * MailReceived stores the raw body once, keyed by its SHA-256, with a reference count, and one
//    MessageEntry per MailReceived.deliveries item. A delivery to a mailbox nobody provisioned is
//    kept under that id, in a MailboxRecord with provisioned = false and a count of such
//    deliveries: mail is never dropped, and the read API shows the operator where it went.
//    Folders that history brings ("Archive") are created on first use.
//  * MessageFlagsChanged, MessageMoved and MessagesPurged edit entries; purging the last entry of
//    a body deletes the body.
//
// A pure function of the events: time comes only from Event.timestamp_unix_micros, and the
// deliveries were decided when the mail was accepted, so no other projection is read.
//
// Message ids: the first delivery of a mail to a mailbox gets id = mail_id; a second delivery of
// the same mail to the same mailbox (Inbox and Sent when writing to oneself) gets "<mail_id>.1",
// and so on. A MailReceived whose ids already exist is a duplicate and changes nothing.

#include <string_view>

#include "eventlog/projection.h"

namespace lifeboat::mailbox {

// Where deliveries with an empty mailbox id are kept (a bug upstream, but never a lost mail).
inline constexpr std::string_view kUnaddressedMailboxId = "_unaddressed";

class MailboxProjection final : public eventlog::Projection {
 public:
  static constexpr std::string_view kName = "mailbox";

  std::string_view name() const override { return kName; }
  Status Apply(const events::Event& event, eventlog::ProjectionState& state) override;
};

}  // namespace lifeboat::mailbox
