#include "eventlog/log_record_format.h"

#include "eventlog/crc32c.h"

namespace lifeboat::eventlog::format {
namespace {

void AppendFixed32(std::string* out, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out->push_back(static_cast<char>(value >> shift));
}

void AppendFixed64(std::string* out, uint64_t value) {
  for (int shift = 0; shift < 64; shift += 8) out->push_back(static_cast<char>(value >> shift));
}

uint64_t LoadFixed(std::string_view bytes, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  return value;
}

}  // namespace

std::string RecordKey(uint64_t index) {
  std::string key(kRecordKeyBytes, '\0');
  key[0] = kRecordKeyTag;
  for (int i = 0; i < 8; ++i) key[1 + i] = static_cast<char>(index >> (56 - 8 * i));
  return key;
}

bool ParseRecordKey(std::string_view key, uint64_t* index) {
  if (key.size() != kRecordKeyBytes || key[0] != kRecordKeyTag) return false;
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(key[1 + i]);
  *index = value;
  return true;
}

std::string MetaKey(std::string_view name) {
  std::string key(1, kMetaKeyTag);
  key.append(name);
  return key;
}

std::string EncodeRecordValue(uint64_t term, std::string_view payload) {
  std::string value;
  value.reserve(kRecordHeaderBytes + payload.size());
  AppendFixed32(&value, 0);  // placeholder for the CRC
  AppendFixed64(&value, term);
  value.append(payload);
  const uint32_t crc = crc32c::Value(std::string_view(value).substr(4));
  std::string crc_bytes;
  AppendFixed32(&crc_bytes, crc32c::Mask(crc));
  value.replace(0, 4, crc_bytes);
  return value;
}

Result<DecodedRecordValue> DecodeRecordValue(uint64_t index, std::string_view value) {
  if (value.size() < kRecordHeaderBytes) {
    return Status::Corruption("log record " + std::to_string(index) + ": value of " +
                              std::to_string(value.size()) + " bytes is shorter than its header");
  }
  const auto stored_crc = static_cast<uint32_t>(LoadFixed(value, 4));
  const uint32_t actual_crc = crc32c::Value(value.substr(4));
  if (crc32c::Unmask(stored_crc) != actual_crc) {
    return Status::Corruption("log record " + std::to_string(index) + ": checksum mismatch");
  }
  DecodedRecordValue decoded;
  decoded.term = LoadFixed(value.substr(4), 8);
  decoded.payload = value.substr(kRecordHeaderBytes);
  return decoded;
}

std::string EncodeFixed64(uint64_t value) {
  std::string out;
  AppendFixed64(&out, value);
  return out;
}

bool DecodeFixed64(std::string_view bytes, uint64_t* value) {
  if (bytes.size() != 8) return false;
  *value = LoadFixed(bytes, 8);
  return true;
}

}  // namespace lifeboat::eventlog::format
