#pragma once
// Where the records of a LevelDB write-ahead log end, for WALs written into zero-filled files
// (preallocated_wal_env.h). Sans-I/O: a function over the file's bytes.
//
// LevelDB's log format (leveldb doc/log_format.md): 32 KiB blocks; each fragment has a 7-byte
// header, masked CRC-32C of type and payload (4, little-endian), payload length (2), type (1):
// 1 full, 2 first, 3 middle, 4 last; type 0 is "reserved for preallocated files". Fewer than 7
// bytes left in a block are a zero trailer.
//
// Why the tail needs this: LevelDB drops a record torn at end of file (it reaches past EOF). In
// a zero-filled file the torn record is followed by zeros instead, its checksum fails, and with
// paranoid_checks LevelDB refuses to open. What a crash can leave, given that the log store
// syncs every write (so a record is written only once the one before it is durable):
//   - complete records, then zeros: the clean case;
//   - complete records, then one torn record, then zeros. The torn record's pages that reached
//     the disk hold its bytes; those that did not read as zeros (the file was zero-filled and
//     synced before use), and a lost page is zero over its whole 4 KiB, since nothing after the
//     torn record was written.
// So the log ends after the last complete valid record when what follows is zeros, a record cut
// by the end of the file, or a record whose checksum fails and which covers an all-zero page.
// A checksum failure without a lost page, a damaged header, or a complete record starting after
// the damage are bytes that had been synced going bad: reported as corruption, never trimmed.
// (A payload with 4 KiB of zeros and a flipped bit elsewhere would pass for torn; the log's own
// payloads, protobuf events of text mail, directory data and metadata, do not hold such runs.)

#include <cstdint>
#include <string_view>

#include "appliance/env/status.h"

namespace lifeboat::eventlog::wal {

inline constexpr size_t kBlockBytes = 32768;
inline constexpr size_t kHeaderBytes = 7;
// Page cache writeback and ext4 blocks: the unit a crash keeps or loses.
inline constexpr size_t kPageBytes = 4096;

enum class FragmentType : uint8_t { kZero = 0, kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };

// LevelDB names its write-ahead logs NNNNNN.log (db/filename.cc LogFileName).
inline bool IsWriteAheadLogName(std::string_view name) {
  return name.size() > 4 && name.substr(name.size() - 4) == ".log";
}

// Offset just after the last complete record of `log`: the length to trim the file to.
// Corruption when a damaged fragment is followed by a complete valid record.
Result<uint64_t> FindEnd(std::string_view log);

}  // namespace lifeboat::eventlog::wal
