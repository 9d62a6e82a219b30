#pragma once
// What `lifeboat mailbox` asks, answered as JSON from the directory view and the mailbox
// projection. The node's admin API and the CLI on a stopped node's data dir run this same code,
// so both print the same thing. Reads only.
//
// A mailbox is named by an address (resolved through the directory: the entry id is the mailbox
// id) or by its mailbox id (for mail that reached an id nobody provisioned, and for entries that
// left the directory but whose mail is kept).

#include <cstdint>
#include <string>
#include <string_view>

#include "appliance/env/status.h"
#include "appliance/mailbox_read_state.h"
#include "eventlog/projection_runner.h"
#include "modules/directory/directory_view.h"
#include "modules/mailbox/mailbox_reader.h"

namespace lifeboat::admin {

// Limits, units last.
inline constexpr uint64_t kMailboxMessagesDefault = 50;
inline constexpr uint64_t kMailboxMessagesMax = mailbox::kListPageEntriesMax;
inline constexpr uint64_t kMailboxesDefault = 100;
inline constexpr uint64_t kMailboxesMax = mailbox::kListPageEntriesMax;
// `mailbox ls` counts messages per mailbox up to this many (then says "at least"): the node
// answers on its one admin read thread (node_admin_backend.h), so the work per mailbox stays one
// bounded scan of small rows and the next reader does not wait long.
inline constexpr uint64_t kMailboxCountMessagesMax = 500;

// The `after` cursor of a listing page: a message id as the listing shows it. Ids are printable
// ASCII without spaces (mailbox_projection.cc: the node's mail id, or "event-" and the log
// index); InvalidArgument for "" or any other byte, before any lookup. The admin API checks it
// first (400); Messages checks it again for the CLI on a stopped node.
Status CheckAfterCursor(std::string_view after);

class MailboxQueries {
 public:
  // All three must outlive this object. `bodies` is where raw bytes are (the log).
  MailboxQueries(const directory::DirectoryView& directory, const eventlog::StateReader& state,
                 const mailbox::MailBodySource& bodies)
      : directory_(directory), read_state_(state), reader_(read_state_, &bodies) {}

  // The mailbox id for an address or an id. NotFound when neither names a mailbox;
  // InvalidArgument for a group's address (its mail is filed in the members' mailboxes).
  Result<std::string> ResolveMailbox(std::string_view address_or_id) const;

  // Mailboxes ordered by id, at most `limit` (1..kMailboxesMax), one JSON object per line.
  Result<std::string> Mailboxes(uint64_t limit) const;
  // Messages of one folder, or of every folder when `folder` is "", newest first, at most
  // `limit` (1..kMailboxMessagesMax), one JSON object per line. NotFound for an unknown folder.
  // Paging: `after` "" starts at the newest message; else it is the message id that ended the
  // previous page and the page continues just after it in the same order (a position, so
  // messages arriving meanwhile neither repeat nor shift the pages). When more messages remain,
  // a last line {"next_after":"<id of the last message listed>"} says where the next page starts;
  // there is none on the last page. InvalidArgument when `after` names no message of the mailbox
  // (purged by retention since, or mistyped).
  Result<std::string> Messages(std::string_view address_or_id, std::string_view folder,
                               uint64_t limit, std::string_view after = "") const;
  // One message's metadata as a JSON object.
  Result<std::string> Message(std::string_view address_or_id, std::string_view message_id) const;
  // The message exactly as received.
  Result<std::string> RawMessage(std::string_view address_or_id, std::string_view message_id) const;

 private:
  Result<uint64_t> CountMessages(const mailbox::MailboxRecord& record, bool& capped) const;

  const directory::DirectoryView& directory_;
  StateMailboxReadState read_state_;
  mailbox::MailboxReader reader_;
};

}  // namespace lifeboat::admin
