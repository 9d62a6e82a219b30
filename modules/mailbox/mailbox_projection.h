#pragma once
// The "mailbox" projection (DESIGN.md "Data path" 4, "Storage"): folds mail and mailbox events
// into mailboxes, folders and message entries under "p/mailbox/" (key layout: mailbox_keys.h).
//
//  * MailboxProvisioned creates a mailbox with Inbox and Sent (or marks a mailbox that mail
//    reached first as provisioned, keeping that mail).
//  * MailReceived records the body once, keyed by its SHA-256: a reference count and the log
//    index of the event that carries the bytes (BodyRefs), and one MessageEntry per
//    MailReceived.deliveries item. A delivery to a mailbox nobody provisioned is
//    kept under that id, in a MailboxRecord with provisioned = false and a count of such
//    deliveries: mail is never dropped, and the read API shows the operator where it went.
//    Folders that history brings ("Archive") are created on first use.
//  * MessageFlagsChanged, MessageMoved and MessagesPurged edit entries; purging the last entry of
//    a body deletes its BodyRefs.
//
// Bodies stay in the log (a departure from DESIGN.md "Storage", which puts them in `state`): the
// MailReceived event already holds the bytes durably, and copying them into `state` wrote each
// body again through the state WAL, memtable flushes and compactions, about 45 us of CPU per
// 10 KiB message on the ingest path (issue #3 benchmark) for no gain in safety. Readers fetch the
// bytes with MailBodySource (mailbox_reader.h).
//
// The rule this sets for log compaction: LogStore::CompactPrefix(n) may remove event n only if
// no live BodyRefs names an event at or below n (or those bodies were first moved into a
// snapshot, which comes with replication). To make the rule cheap to check, every BodyRefs with
// an event_index also has a key bodylog/<index>/<hex> (mailbox_keys.h): the first key under
// that prefix is the oldest event still read from, whatever the number of mails.
// appliance/log_compaction.h clamps every compaction to it; nothing else may call CompactPrefix.
// A body stays pinned at the first event that brought it while any message holds it, even if
// that message was purged and a later copy of the same bytes remains.
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
