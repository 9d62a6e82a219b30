#include "modules/mailbox/mailbox_reader.h"

#include <algorithm>

#include "modules/mailbox/body_digest.h"
#include "modules/mailbox/mailbox_keys.h"

namespace lifeboat::mailbox {
namespace {

size_t ClampPageSize(size_t page_size) {
  return std::clamp<size_t>(page_size, 1, kListPageEntriesMax);
}

// A page token is the last key of the previous page; it must lie inside the listed range.
Status CheckPageToken(std::string_view token, std::string_view prefix) {
  if (token.empty() || token.substr(0, prefix.size()) == prefix) return Status::Ok();
  return Status::InvalidArgument("page token does not belong to this listing");
}

}  // namespace

Result<MailboxPage> MailboxReader::ListMailboxes(std::string_view page_token,
                                                 size_t page_size) const {
  LB_RETURN_IF_ERROR(CheckPageToken(page_token, kMailboxKeyPrefix));
  size_t limit = ClampPageSize(page_size);
  auto rows = state_.Scan(kMailboxKeyPrefix, page_token, limit);
  if (!rows.ok()) return rows.status();
  MailboxPage page;
  for (const auto& [key, value] : *rows) {
    MailboxRecord record;
    if (!record.ParseFromString(value)) return Status::Corruption("mailbox: bad record " + key);
    page.mailboxes.push_back(std::move(record));
  }
  if (rows->size() == limit) page.next_page_token = rows->back().first;
  return page;
}

Result<MailboxRecord> MailboxReader::GetMailbox(std::string_view mailbox_id) const {
  std::string key = MailboxKey(mailbox_id);
  auto value = state_.Get(key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status::NotFound("no mailbox " + std::string(mailbox_id));
  MailboxRecord record;
  if (!record.ParseFromString(**value)) return Status::Corruption("mailbox: bad record " + key);
  return record;
}

Result<std::vector<MessageEntry>> MailboxReader::ScanEntries(const std::string& prefix,
                                                             std::string_view start_after,
                                                             size_t limit,
                                                             std::string* last_key) const {
  auto rows = state_.Scan(prefix, start_after, limit);
  if (!rows.ok()) return rows.status();
  std::vector<MessageEntry> entries;
  entries.reserve(rows->size());
  for (const auto& [key, value] : *rows) {
    MessageEntry entry;
    if (!entry.ParseFromString(value)) return Status::Corruption("mailbox: bad entry " + key);
    entries.push_back(std::move(entry));
  }
  if (last_key != nullptr && rows->size() == limit) *last_key = rows->back().first;
  return entries;
}

Result<FolderPage> MailboxReader::ListFolder(std::string_view mailbox_id, std::string_view folder,
                                             std::string_view page_token, size_t page_size) const {
  std::string prefix = FolderPrefix(mailbox_id, folder);
  LB_RETURN_IF_ERROR(CheckPageToken(page_token, prefix));
  FolderPage page;
  auto entries = ScanEntries(prefix, page_token, ClampPageSize(page_size), &page.next_page_token);
  if (!entries.ok()) return entries.status();
  page.messages = std::move(*entries);
  return page;
}

Result<std::vector<MessageEntry>> MailboxReader::ListFolderReceivedBefore(
    std::string_view mailbox_id, std::string_view folder, int64_t before_unix_micros,
    size_t limit) const {
  return ScanEntries(FolderPrefix(mailbox_id, folder),
                     FolderKeyAfterTime(mailbox_id, folder, before_unix_micros),
                     ClampPageSize(limit), nullptr);
}

Result<MessageEntry> MailboxReader::GetMessage(std::string_view mailbox_id,
                                               std::string_view message_id) const {
  auto key = state_.Get(IdIndexKey(mailbox_id, message_id));
  if (!key.ok()) return key.status();
  if (!key->has_value()) return Status::NotFound("no message " + std::string(message_id));
  auto value = state_.Get(**key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status::Corruption("mailbox: id index points at " + **key);
  MessageEntry entry;
  if (!entry.ParseFromString(**value)) return Status::Corruption("mailbox: bad entry " + **key);
  return entry;
}

Result<std::optional<uint64_t>> MailboxReader::OldestBodyLogIndex() const {
  auto rows = state_.Scan(kBodyLogIndexPrefix, "", 1);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<uint64_t>();
  uint64_t event_index = 0;
  if (!ParseBodyLogIndexKey(rows->front().first, &event_index)) {
    return Status::Corruption("mailbox: bad body log index key " + rows->front().first);
  }
  return std::optional<uint64_t>(event_index);
}

Result<std::string> MailboxReader::GetRawMessage(std::string_view mailbox_id,
                                                 std::string_view message_id) const {
  auto entry = GetMessage(mailbox_id, message_id);
  if (!entry.ok()) return entry.status();
  const std::string& hex = entry->body_sha256_hex();
  auto refs_bytes = state_.Get(BodyRefsKey(hex));
  if (!refs_bytes.ok()) return refs_bytes.status();
  BodyRefs refs;
  if (!refs_bytes->has_value() || !refs.ParseFromString(**refs_bytes)) {
    return Status::Corruption("mailbox: no body record for " + std::string(message_id));
  }
  Result<std::string> raw = std::string();
  if (refs.event_index() != 0) {
    if (bodies_ == nullptr) return Status::FailedPrecondition("mailbox reader has no body source");
    raw = bodies_->MailRaw(refs.event_index());
  } else {
    auto legacy = state_.Get(BodyKey(hex));
    if (!legacy.ok()) return legacy.status();
    if (!legacy->has_value()) {
      return Status::Corruption("mailbox: body missing for " + std::string(message_id));
    }
    raw = std::move(**legacy);
  }
  if (!raw.ok()) {
    return Status(raw.status().code(),
                  "mailbox: body of " + std::string(message_id) + ": " + raw.status().message());
  }
  // The bytes come from another store than the entry: check they are the ones it names.
  if (HexEncode(BodySha256(*raw)) != hex) {
    return Status::Corruption("mailbox: body of " + std::string(message_id) +
                              " does not match its SHA-256");
  }
  return raw;
}

}  // namespace lifeboat::mailbox
