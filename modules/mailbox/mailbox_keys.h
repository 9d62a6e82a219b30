#pragma once
// Key layout of the mailbox projection, relative to its "p/mailbox/" prefix
// (eventlog/projection.h).
//
//   mbox/<mailbox>                                   MailboxRecord
//   msg/<mailbox>/<folder>/<inv time>/<inv index>/<id> MessageEntry
//   id/<mailbox>/<id>                                the msg/ key of that message (id index)
//   refs/<sha256 hex>                                BodyRefs: how many entries share the body
//                                                    and which log event holds its bytes
//   bodylog/<index>/<sha256 hex>                     "" for each BodyRefs with event_index
//                                                    <index>: the log events bodies are read
//                                                    from, lowest first (LogCompactionLimit)
//   body/<sha256 hex>                                raw bytes, only in state written before
//                                                    bodies were left in the log (read, purged)
//
// <inv time> is kTimestampInvertBase minus the receive time in microseconds and <inv index> the
// same for the log index, both zero padded, so an ascending prefix scan of a folder yields newest
// first. Components are escaped (EscapeKeyComponent) so a folder name holding '/' cannot reach
// into another folder's range.

#include <cstdint>
#include <string>
#include <string_view>

namespace lifeboat::mailbox {

inline constexpr std::string_view kInboxFolder = "Inbox";
inline constexpr std::string_view kSentFolder = "Sent";

// '/' and '%' and control bytes become %XX; everything else (UTF-8 included) is kept, so keys
// still sort by name.
std::string EscapeKeyComponent(std::string_view component);
std::string UnescapeKeyComponent(std::string_view escaped);

std::string MailboxKey(std::string_view mailbox_id);
inline constexpr std::string_view kMailboxKeyPrefix = "mbox/";
// "msg/<mailbox>/<folder>/": every message of the folder, newest first.
std::string FolderPrefix(std::string_view mailbox_id, std::string_view folder);
std::string MessageKey(std::string_view mailbox_id, std::string_view folder,
                       int64_t received_unix_micros, uint64_t event_index,
                       std::string_view message_id);
// The greatest key of a folder for a message received at `received_unix_micros` or later: a scan
// that starts after it sees only messages received strictly before that time.
std::string FolderKeyAfterTime(std::string_view mailbox_id, std::string_view folder,
                               int64_t received_unix_micros);
std::string IdIndexKey(std::string_view mailbox_id, std::string_view message_id);
std::string BodyKey(std::string_view sha256_hex);
std::string BodyRefsKey(std::string_view sha256_hex);
// "bodylog/<index, 20 digits zero padded>/<hex>": ascending by log index, so the first key of
// kBodyLogIndexPrefix names the oldest log event a body is still read from.
std::string BodyLogIndexKey(uint64_t event_index, std::string_view sha256_hex);
inline constexpr std::string_view kBodyLogIndexPrefix = "bodylog/";
// The index a BodyLogIndexKey names; false when `key` is not one.
bool ParseBodyLogIndexKey(std::string_view key, uint64_t* event_index);

std::string HexEncode(std::string_view bytes);

}  // namespace lifeboat::mailbox
