#pragma once
// What a log record's payload holds. A single node's log holds one serialized events::Event per
// record. A Raft node's log holds Raft entries (raft/log_store_raft_storage.h): one byte of
// libraft entry type, then the entry; only command entries carry an event, while configuration
// changes and barriers take an index and carry none. Readers of events (the projection runner,
// the mail bodies) go through EventBytes so that both logs read the same.

#include <cstdint>
#include <optional>
#include <string_view>

#include "appliance/env/status.h"

namespace lifeboat::eventlog {

enum class LogPayloadFormat { kEvent, kRaftEntry };

// libraft's RAFT_COMMAND (raft.h enum raft_entry_type); raft/raft_codec.cc checks it matches.
inline constexpr uint8_t kRaftCommandEntryType = 1;

// The event's bytes in `payload`, or nullopt when the record carries no event (a Raft
// configuration change or barrier). Corruption for a Raft record without its type byte.
inline Result<std::optional<std::string_view>> EventBytes(std::string_view payload,
                                                          LogPayloadFormat format) {
  if (format == LogPayloadFormat::kEvent) return std::optional<std::string_view>(payload);
  if (payload.empty()) return Status::Corruption("raft log record without its entry type byte");
  if (static_cast<uint8_t>(payload[0]) != kRaftCommandEntryType) {
    return std::optional<std::string_view>();
  }
  return std::optional<std::string_view>(payload.substr(1));
}

}  // namespace lifeboat::eventlog
