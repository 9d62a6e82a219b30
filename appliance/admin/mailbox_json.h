#pragma once
// Mailbox and directory state as JSON for the admin API and the CLI (`lifeboat mailbox`,
// `lifeboat directory`): one object per mailbox, message or entry, keys in a fixed order so a
// line can be read by a person and by a script. Raw message bytes never go into JSON.

#include <cstdint>
#include <string>
#include <vector>

#include "eventlog/events.pb.h"
#include "modules/mailbox/mailbox.pb.h"

namespace lifeboat::admin {

// ["a","b"]
std::string StringArrayJson(const std::vector<std::string>& values);

// A message as `mailbox list` shows it: mailbox_id, message_id, mail_id, folder, from (first
// From address), from_name, subject, size_bytes, received_unix_micros, date_unix_seconds,
// message_id_header, flags, event_index, has_attachments.
std::string MessageSummaryJson(const mailbox::MessageEntry& entry);
// The summary plus what `mailbox show` adds: to, cc, mail_from (envelope), in_reply_to, preview,
// attachments, problems, body_sha256_hex.
std::string MessageDetailJson(const mailbox::MessageEntry& entry);

// A mailbox as `mailbox ls` shows it. `message_count` counted up to a bound: `count_capped` says
// the real count is larger.
std::string MailboxRecordJson(const mailbox::MailboxRecord& record, uint64_t message_count,
                              bool count_capped);

// A directory entry, every field, plus `groups`: the groups it is a member of, resolved to
// {"id","display_name","primary_address"} (pass what the view knows; unknown ids keep only "id").
std::string DirectoryEntryJson(const events::DirectoryEntry& entry,
                               const std::vector<events::DirectoryEntry>& groups);
// One `directory search` result line: id, kind, primary_address, display_name,
// sam_account_name, disabled.
std::string DirectorySummaryJson(const events::DirectoryEntry& entry);

// "user", "group", "contact" (the name events.proto gives the kind, without its prefix).
std::string DirectoryKindName(events::DirectoryEntryKind kind);

}  // namespace lifeboat::admin
