#pragma once
// The byte layout of the `log` LevelDB (see log_store.h for the why):
//   record key   'e' + big-endian uint64 index   (LevelDB's byte order is index order)
//   record value fixed32 masked CRC-32C of (term | payload) | fixed64 term | payload
//   meta key     'm' + name
// Fixed-width integers in values are little-endian, as in LevelDB's own formats.
// Pure functions, no I/O: the store and its tests share them.

#include <cstdint>
#include <string>
#include <string_view>

#include "appliance/env/status.h"

namespace lifeboat::eventlog::format {

inline constexpr char kRecordKeyTag = 'e';
inline constexpr char kMetaKeyTag = 'm';
inline constexpr size_t kRecordKeyBytes = 1 + 8;
inline constexpr size_t kRecordHeaderBytes = 4 + 8;  // masked CRC + term

// Meta names the store keeps for itself; PutMeta refuses names with this prefix.
inline constexpr std::string_view kReservedMetaPrefix = "lifeboat.log.";
// First index still held after CompactPrefix (absent: 1).
inline constexpr std::string_view kMetaFirstIndex = "lifeboat.log.first_index";
// Term of the last compacted record, so an emptied log still knows last_term().
inline constexpr std::string_view kMetaCompactedTerm = "lifeboat.log.compacted_term";

std::string RecordKey(uint64_t index);
// The index of a record key; false when `key` is not a record key.
bool ParseRecordKey(std::string_view key, uint64_t* index);
std::string MetaKey(std::string_view name);

std::string EncodeRecordValue(uint64_t term, std::string_view payload);

struct DecodedRecordValue {
  uint64_t term = 0;
  std::string_view payload;  // points into the value given to DecodeRecordValue
};
// Checks length and CRC. Corruption names `index` ("log record 42: checksum mismatch").
Result<DecodedRecordValue> DecodeRecordValue(uint64_t index, std::string_view value);

std::string EncodeFixed64(uint64_t value);
// False when `bytes` is not exactly 8 bytes.
bool DecodeFixed64(std::string_view bytes, uint64_t* value);

}  // namespace lifeboat::eventlog::format
