#include "appliance/admin/mailbox_queries.h"

#include <algorithm>
#include <optional>

#include "appliance/admin/mailbox_json.h"
#include "appliance/json/json_writer.h"
#include "modules/mailbox/mailbox_keys.h"

namespace lifeboat::admin {
namespace {

Status CheckLimit(uint64_t limit, uint64_t max) {
  if (limit >= 1 && limit <= max) return Status::Ok();
  return Status::InvalidArgument("limit=" + std::to_string(limit) + ": expected 1.." +
                                 std::to_string(max));
}

// Newest first; the log index breaks ties so the order is total and the same on every node.
bool NewerFirst(const mailbox::MessageEntry& a, const mailbox::MessageEntry& b) {
  if (a.received_unix_micros() != b.received_unix_micros()) {
    return a.received_unix_micros() > b.received_unix_micros();
  }
  if (a.event_index() != b.event_index()) return a.event_index() > b.event_index();
  return a.message_id() < b.message_id();
}

}  // namespace

Status CheckAfterCursor(std::string_view after) {
  if (after.empty())
    return Status::InvalidArgument("after: empty; give the id of a listed message");
  for (unsigned char c : after) {
    if (c <= ' ' || c >= 0x7f) {
      return Status::InvalidArgument("after=" + std::string(after) +
                                     ": not a message id (printable ASCII without spaces)");
    }
  }
  return Status::Ok();
}

Result<std::string> MailboxQueries::ResolveMailbox(std::string_view address_or_id) const {
  if (address_or_id.empty()) return Status::InvalidArgument("no address or mailbox id given");
  std::optional<events::DirectoryEntry> entry;
  if (address_or_id.find('@') != std::string_view::npos) {
    entry = directory_.FindByAddress(address_or_id);
  }
  if (entry.has_value()) {
    if (entry->kind() == events::DIRECTORY_ENTRY_KIND_GROUP) {
      return Status::InvalidArgument(std::string(address_or_id) +
                                     " is a group: its mail is filed in its members' mailboxes");
    }
    return entry->id();
  }
  // Not an address we know: a mailbox id (mail to an unprovisioned id, or a removed user).
  auto record = reader_.GetMailbox(address_or_id);
  if (record.ok()) return record->mailbox_id();
  if (record.status().code() != StatusCode::kNotFound) return record.status();
  return Status::NotFound("no mailbox for \"" + std::string(address_or_id) +
                          "\": neither an address in the directory nor a mailbox id");
}

Result<uint64_t> MailboxQueries::CountMessages(const mailbox::MailboxRecord& record,
                                               bool& capped) const {
  // The id index holds one small row per message (its value is the message key): one bounded
  // scan counts without parsing entries.
  std::string prefix = mailbox::IdIndexKey(record.mailbox_id(), "");
  auto rows = read_state_.Scan(prefix, "", kMailboxCountMessagesMax);
  if (!rows.ok()) return rows.status();
  capped = rows->size() == kMailboxCountMessagesMax;
  return rows->size();
}

Result<std::string> MailboxQueries::Mailboxes(uint64_t limit) const {
  LB_RETURN_IF_ERROR(CheckLimit(limit, kMailboxesMax));
  auto page = reader_.ListMailboxes("", limit);
  if (!page.ok()) return page.status();
  std::string out;
  for (const mailbox::MailboxRecord& record : page->mailboxes) {
    bool capped = false;
    auto count = CountMessages(record, capped);
    if (!count.ok()) return count.status();
    out += MailboxRecordJson(record, *count, capped);
    out.push_back('\n');
  }
  return out;
}

Result<std::string> MailboxQueries::Messages(std::string_view address_or_id,
                                             std::string_view folder, uint64_t limit,
                                             std::string_view after) const {
  LB_RETURN_IF_ERROR(CheckLimit(limit, kMailboxMessagesMax));
  auto mailbox_id = ResolveMailbox(address_or_id);
  if (!mailbox_id.ok()) return mailbox_id.status();
  auto record = reader_.GetMailbox(*mailbox_id);
  if (!record.ok()) {
    if (record.status().code() != StatusCode::kNotFound) return record.status();
    // In the directory but no mail yet and never provisioned (a user without a mailbox).
    return Status::NotFound("no mailbox " + *mailbox_id + " for " + std::string(address_or_id));
  }
  std::vector<std::string> folders;
  if (folder.empty()) {
    folders.assign(record->folders().begin(), record->folders().end());
  } else if (std::find(record->folders().begin(), record->folders().end(), folder) !=
             record->folders().end()) {
    folders.emplace_back(folder);
  } else {
    return Status::NotFound("mailbox " + *mailbox_id + " has no folder \"" + std::string(folder) +
                            "\"");
  }
  std::optional<mailbox::MessageEntry> cursor;
  if (!after.empty()) {
    LB_RETURN_IF_ERROR(CheckAfterCursor(after));
    auto entry = reader_.GetMessage(*mailbox_id, after);
    if (!entry.ok()) {
      if (entry.status().code() != StatusCode::kNotFound) return entry.status();
      return Status::InvalidArgument("after=" + std::string(after) + ": mailbox " + *mailbox_id +
                                     " has no message with that id (purged since the previous "
                                     "page?): list again from the start");
    }
    cursor = std::move(entry).value();
  }
  // Where a folder's scan starts: just after the cursor's position in the order NewerFirst and
  // the key layout share (mailbox_keys.h), whether or not the cursor is in that folder.
  auto start_after = [&](const std::string& name, const mailbox::MessageEntry* position) {
    if (position == nullptr) return std::string();
    return mailbox::MessageKey(*mailbox_id, name, position->received_unix_micros(),
                               position->event_index(), position->message_id());
  };
  // Each folder is newest first: its first `limit` entries after the cursor hold every
  // candidate from it.
  std::vector<mailbox::MessageEntry> messages;
  for (const std::string& name : folders) {
    auto page = reader_.ListFolder(*mailbox_id, name,
                                   start_after(name, cursor ? &*cursor : nullptr), limit);
    if (!page.ok()) return page.status();
    for (auto& entry : page->messages) messages.push_back(std::move(entry));
  }
  std::sort(messages.begin(), messages.end(), NewerFirst);
  bool more = messages.size() > limit;
  if (more) messages.resize(limit);
  if (!more && messages.size() == limit) {
    // A full page: more remain if any folder holds a message past the last one listed.
    for (const std::string& name : folders) {
      auto page = reader_.ListFolder(*mailbox_id, name, start_after(name, &messages.back()), 1);
      if (!page.ok()) return page.status();
      more = more || !page->messages.empty();
    }
  }
  std::string out;
  for (const mailbox::MessageEntry& entry : messages) {
    out += MessageSummaryJson(entry);
    out.push_back('\n');
  }
  if (more) {
    out += json::ObjectWriter().String("next_after", messages.back().message_id()).Finish();
    out.push_back('\n');
  }
  return out;
}

Result<std::string> MailboxQueries::Message(std::string_view address_or_id,
                                            std::string_view message_id) const {
  if (message_id.empty()) return Status::InvalidArgument("no message id given");
  auto mailbox_id = ResolveMailbox(address_or_id);
  if (!mailbox_id.ok()) return mailbox_id.status();
  auto entry = reader_.GetMessage(*mailbox_id, message_id);
  if (!entry.ok()) return entry.status();
  return MessageDetailJson(*entry);
}

Result<std::string> MailboxQueries::RawMessage(std::string_view address_or_id,
                                               std::string_view message_id) const {
  if (message_id.empty()) return Status::InvalidArgument("no message id given");
  auto mailbox_id = ResolveMailbox(address_or_id);
  if (!mailbox_id.ok()) return mailbox_id.status();
  return reader_.GetRawMessage(*mailbox_id, message_id);
}

}  // namespace lifeboat::admin
