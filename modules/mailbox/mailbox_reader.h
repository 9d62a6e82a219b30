#pragma once
// Read API over the mailbox projection, for the CLI and the webmail: list mailboxes, list a
// folder newest first in pages, get one message's metadata and its raw bytes.
//
// It reads through MailboxReadState, the smallest interface the state DB must offer. The node
// binds it to the runner's `state` LevelDB (keys prefixed "p/mailbox/", a read snapshot or
// iterator per call); tests bind it to a std::map.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "appliance/env/status.h"
#include "modules/mailbox/mailbox.pb.h"

namespace lifeboat::mailbox {

// Entries one ListFolder / ListMailboxes call returns at most.
inline constexpr size_t kListPageEntriesMax = 500;

// Keys are relative to the projection prefix "p/mailbox/", exactly as MailboxProjection wrote
// them through eventlog::ProjectionState.
class MailboxReadState {
 public:
  virtual ~MailboxReadState() = default;
  virtual Result<std::optional<std::string>> Get(std::string_view key) const = 0;
  // Up to `limit` (key, value) pairs whose key starts with `prefix` and sorts strictly after
  // `start_after` ("" means from the start of the prefix), in ascending bytewise key order
  // (LevelDB's default comparator).
  virtual Result<std::vector<std::pair<std::string, std::string>>> Scan(
      std::string_view prefix, std::string_view start_after, size_t limit) const = 0;
};

// Where raw message bytes are: the log. The mailbox projection records, per body, the index of a
// MailReceived event that carries it (mailbox_projection.h says why bodies are not copied).
class MailBodySource {
 public:
  virtual ~MailBodySource() = default;
  // MailReceived.raw of the event at `event_index`. NotFound when the log no longer holds it;
  // Corruption when that event is not a MailReceived.
  virtual Result<std::string> MailRaw(uint64_t event_index) const = 0;
};

struct MailboxPage {
  std::vector<MailboxRecord> mailboxes;
  std::string next_page_token;  // "" when this was the last page
};

struct FolderPage {
  std::vector<MessageEntry> messages;  // newest first
  std::string next_page_token;         // "" when this was the last page
};

// Reads only; `state` and `bodies` must outlive the reader. Thread-compatible: as safe as they
// are. `bodies` may be null for a reader that never asks for raw bytes (retention).
class MailboxReader {
 public:
  MailboxReader(const MailboxReadState& state, const MailBodySource* bodies)
      : state_(state), bodies_(bodies) {}

  // Every mailbox, provisioned or not (provisioned == false: mail reached an id nobody
  // provisioned; show it to the operator). Ordered by mailbox id.
  Result<MailboxPage> ListMailboxes(std::string_view page_token, size_t page_size) const;
  // kNotFound when the mailbox does not exist.
  Result<MailboxRecord> GetMailbox(std::string_view mailbox_id) const;
  // One page of a folder, newest first. `page_token` is "" for the first page, else the
  // next_page_token of the previous page. page_size is clamped to [1, kListPageEntriesMax].
  Result<FolderPage> ListFolder(std::string_view mailbox_id, std::string_view folder,
                                std::string_view page_token, size_t page_size) const;
  // Messages of a folder received strictly before `before_unix_micros`, newest first, at most
  // `limit`: what retention looks at, without walking the newer part of the folder.
  Result<std::vector<MessageEntry>> ListFolderReceivedBefore(std::string_view mailbox_id,
                                                             std::string_view folder,
                                                             int64_t before_unix_micros,
                                                             size_t limit) const;
  // kNotFound when the message does not exist (or was purged).
  Result<MessageEntry> GetMessage(std::string_view mailbox_id, std::string_view message_id) const;
  // The lowest log index whose MailReceived event still holds a body some message references
  // (mailbox_projection.h, the compaction rule); nullopt when no body is read from the log.
  Result<std::optional<uint64_t>> OldestBodyLogIndex() const;
  // The message exactly as received, checked against its SHA-256 (a mismatch is Corruption).
  Result<std::string> GetRawMessage(std::string_view mailbox_id, std::string_view message_id) const;

 private:
  Result<std::vector<MessageEntry>> ScanEntries(const std::string& prefix,
                                                std::string_view start_after, size_t limit,
                                                std::string* last_key) const;

  const MailboxReadState& state_;
  const MailBodySource* bodies_;
};

}  // namespace lifeboat::mailbox
