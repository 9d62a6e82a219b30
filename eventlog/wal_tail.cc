#include "eventlog/wal_tail.h"

#include <optional>
#include <string>

#include "eventlog/crc32c.h"

namespace lifeboat::eventlog::wal {
namespace {

struct Fragment {
  FragmentType type;
  size_t payload_bytes;
  size_t next;  // offset after this fragment
};

// What stands at an offset where a fragment should start.
enum class Found {
  kValid,     // a plausible header and a matching checksum
  kZero,      // a zero header: preallocated space, or a page the crash lost
  kPastEnd,   // a header or payload cut by the end of the file: an append the crash cut short
  kChecksum,  // a plausible header whose checksum does not match
  kBadHeader  // neither zero nor plausible
};

uint32_t DecodeFixed32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) | (uint32_t{b[3]} << 24);
}

bool AllZero(std::string_view bytes) {
  return bytes.find_first_not_of('\0') == std::string_view::npos;
}

Found Examine(std::string_view log, size_t pos, Fragment* fragment) {
  const size_t block_left = kBlockBytes - pos % kBlockBytes;
  const size_t file_left = log.size() - pos;
  const std::string_view header = log.substr(pos, kHeaderBytes);
  if (AllZero(header)) return Found::kZero;
  if (file_left < kHeaderBytes) return Found::kPastEnd;
  const auto* h = reinterpret_cast<const unsigned char*>(header.data());
  const size_t length = size_t{h[4]} | (size_t{h[5]} << 8);
  const uint8_t type = h[6];
  if (type < static_cast<uint8_t>(FragmentType::kFull) ||
      type > static_cast<uint8_t>(FragmentType::kLast) || kHeaderBytes + length > block_left) {
    return Found::kBadHeader;
  }
  if (kHeaderBytes + length > file_left) return Found::kPastEnd;
  *fragment = Fragment{static_cast<FragmentType>(type), length, pos + kHeaderBytes + length};
  // LevelDB's CRC covers the type byte, then the payload (db/log_writer.cc EmitPhysicalRecord).
  const uint32_t expected = crc32c::Unmask(DecodeFixed32(header.data()));
  const uint32_t actual =
      crc32c::Extend(crc32c::Value(header.substr(6, 1)), log.substr(pos + kHeaderBytes, length));
  return expected == actual ? Found::kValid : Found::kChecksum;
}

// Skips a block trailer: a fragment never starts in the last 6 bytes of a block.
size_t SkipTrailer(size_t pos) {
  const size_t block_left = kBlockBytes - pos % kBlockBytes;
  return block_left < kHeaderBytes ? pos + block_left : pos;
}

bool StartsRecord(FragmentType type) {
  return type == FragmentType::kFull || type == FragmentType::kFirst;
}

// A fragment whose checksum fails was torn by a crash only if a page it covers (after its
// header's page) reads as all zeros: the page never reached the disk, and the file was zeros
// there. Anything else is damage to bytes that were synced.
bool HasLostPage(std::string_view log, size_t pos, size_t next) {
  for (size_t page = (pos / kPageBytes + 1) * kPageBytes; page < next; page += kPageBytes) {
    if (AllZero(log.substr(page, kPageBytes))) return true;
  }
  return false;
}

// After the torn fragment at `torn`: the offset of a valid fragment that starts a record, if
// any, at any byte offset (the damage hides where fragments begin). Only a nonzero type byte can
// start one, so the zeros of the preallocated space are skipped in runs; elsewhere a checksum is
// computed only where the type and length are plausible (about one offset in 256 of random
// bytes). A crafted payload could hold a valid-looking record and turn a torn tail into a
// refused open: that fails safe, the operator is told, nothing is dropped.
std::optional<size_t> FindLaterRecord(std::string_view log, size_t torn) {
  Fragment fragment{};
  for (size_t pos = torn + 1; pos + kHeaderBytes <= log.size(); ++pos) {
    const size_t type_at = log.find_first_not_of('\0', pos + 6);
    if (type_at == std::string_view::npos) break;
    pos = type_at - 6;
    if (Examine(log, pos, &fragment) == Found::kValid && StartsRecord(fragment.type)) return pos;
  }
  return std::nullopt;
}

std::string At(size_t offset) {
  return " at offset " + std::to_string(offset);
}

// The bytes from the damaged fragment at `pos` on can be one torn record, then zeros: at each
// later block start the record's own continuation (a middle or last fragment, valid or damaged)
// or zeros (a lost page); once it has ended, only zeros.
Status CheckOneTornRecord(std::string_view log, size_t pos, Found found, const Fragment& at_pos) {
  size_t record_end = std::string_view::npos;  // where the torn record ends, once known
  if (found == Found::kChecksum &&
      !(at_pos.type == FragmentType::kFirst || at_pos.type == FragmentType::kMiddle)) {
    record_end = at_pos.next;
  }
  Fragment fragment{};
  for (size_t block = (pos / kBlockBytes + 1) * kBlockBytes;
       block < log.size() && record_end == std::string_view::npos; block += kBlockBytes) {
    switch (Examine(log, block, &fragment)) {
      case Found::kValid:
      case Found::kChecksum:
        if (StartsRecord(fragment.type)) {
          return Status::Corruption("write-ahead log holds a record after a damaged one" +
                                    At(block));
        }
        if (fragment.type == FragmentType::kLast) record_end = fragment.next;
        break;
      case Found::kBadHeader:
        return Status::Corruption("write-ahead log fragment header damaged" + At(block));
      case Found::kZero:
      case Found::kPastEnd:
        break;
    }
  }
  if (record_end != std::string_view::npos && record_end < log.size() &&
      !AllZero(log.substr(record_end))) {
    return Status::Corruption("write-ahead log holds data after a torn record" + At(record_end));
  }
  return Status::Ok();
}

}  // namespace

Result<uint64_t> FindEnd(std::string_view log) {
  size_t end = 0;  // after the last complete record
  size_t pos = 0;
  bool in_record = false;  // a first fragment was read, its last not yet
  Fragment fragment{};
  Found found = Found::kValid;
  while (true) {
    pos = SkipTrailer(pos);
    if (pos >= log.size()) return end;
    found = Examine(log, pos, &fragment);
    if (found != Found::kValid) break;
    if (StartsRecord(fragment.type) == in_record) {
      // A record starting inside an unfinished one, or a continuation with no start: LevelDB
      // wrote neither, and a crash cannot make them.
      return Status::Corruption("write-ahead log fragments out of order" + At(pos));
    }
    in_record = fragment.type == FragmentType::kFirst || fragment.type == FragmentType::kMiddle;
    pos = fragment.next;
    if (!in_record) end = pos;
  }
  switch (found) {
    case Found::kBadHeader:
      return Status::Corruption("write-ahead log fragment header damaged" + At(pos));
    case Found::kChecksum:
      if (!HasLostPage(log, pos, fragment.next)) {
        return Status::Corruption("write-ahead log checksum mismatch" + At(pos));
      }
      break;
    case Found::kZero: {
      // A lost page is lost whole, and the preallocated space is zeros to the end.
      const size_t page_end = (pos / kPageBytes + 1) * kPageBytes;
      if (!AllZero(log.substr(pos, page_end - pos))) {
        return Status::Corruption("write-ahead log has zeros then data in one page" + At(pos));
      }
      break;
    }
    case Found::kPastEnd:
    case Found::kValid:
      break;
  }
  // Everything from `end` on is the torn tail, unless it holds more than one record.
  LB_RETURN_IF_ERROR(CheckOneTornRecord(log, pos, found, fragment));
  if (std::optional<size_t> later = FindLaterRecord(log, pos)) {
    return Status::Corruption("write-ahead log record damaged" + At(pos) +
                              " with an intact record after it" + At(*later));
  }
  return end;
}

}  // namespace lifeboat::eventlog::wal
