#include "modules/mailbox/mailbox_keys.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>

namespace lifeboat::mailbox {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
// Inverted values are printed with 20 digits: uint64 max has 20, so every value pads equally.
constexpr int kInvertedDigits = 20;

bool NeedsEscape(unsigned char c) {
  return c == '/' || c == '%' || c < 0x20 || c == 0x7f;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Inverted(uint64_t value) {
  char buffer[kInvertedDigits + 1];
  std::snprintf(buffer, sizeof(buffer), "%020llu",
                static_cast<unsigned long long>(std::numeric_limits<uint64_t>::max() - value));
  return buffer;
}

uint64_t TimeOrdinal(int64_t received_unix_micros) {
  // Times before the epoch are not expected from the proposer; clamp so they sort as oldest.
  return static_cast<uint64_t>(std::max<int64_t>(received_unix_micros, 0));
}

}  // namespace

std::string EscapeKeyComponent(std::string_view component) {
  std::string out;
  out.reserve(component.size());
  for (char ch : component) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (NeedsEscape(c)) {
      out.push_back('%');
      out.push_back(kHexDigits[c >> 4]);
      out.push_back(kHexDigits[c & 0xf]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string UnescapeKeyComponent(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '%' && i + 2 < escaped.size()) {
      int high = HexValue(escaped[i + 1]);
      int low = HexValue(escaped[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(escaped[i]);
  }
  return out;
}

std::string MailboxKey(std::string_view mailbox_id) {
  return std::string(kMailboxKeyPrefix) + EscapeKeyComponent(mailbox_id);
}

std::string FolderPrefix(std::string_view mailbox_id, std::string_view folder) {
  return "msg/" + EscapeKeyComponent(mailbox_id) + "/" + EscapeKeyComponent(folder) + "/";
}

std::string MessageKey(std::string_view mailbox_id, std::string_view folder,
                       int64_t received_unix_micros, uint64_t event_index,
                       std::string_view message_id) {
  return FolderPrefix(mailbox_id, folder) + Inverted(TimeOrdinal(received_unix_micros)) + "/" +
         Inverted(event_index) + "/" + EscapeKeyComponent(message_id);
}

std::string FolderKeyAfterTime(std::string_view mailbox_id, std::string_view folder,
                               int64_t received_unix_micros) {
  // Every key of a message received at that time continues with '/' then digits; '0' sorts
  // after all of them and before the next (older) inverted time.
  return FolderPrefix(mailbox_id, folder) + Inverted(TimeOrdinal(received_unix_micros)) + "0";
}

std::string IdIndexKey(std::string_view mailbox_id, std::string_view message_id) {
  return "id/" + EscapeKeyComponent(mailbox_id) + "/" + EscapeKeyComponent(message_id);
}

std::string BodyKey(std::string_view sha256_hex) {
  return "body/" + std::string(sha256_hex);
}

std::string BodyRefsKey(std::string_view sha256_hex) {
  return "refs/" + std::string(sha256_hex);
}

std::string BodyLogIndexKey(uint64_t event_index, std::string_view sha256_hex) {
  char digits[kInvertedDigits + 1];
  std::snprintf(digits, sizeof(digits), "%020llu", static_cast<unsigned long long>(event_index));
  return std::string(kBodyLogIndexPrefix) + digits + "/" + std::string(sha256_hex);
}

bool ParseBodyLogIndexKey(std::string_view key, uint64_t* event_index) {
  if (!key.starts_with(kBodyLogIndexPrefix)) return false;
  std::string_view digits = key.substr(kBodyLogIndexPrefix.size(), kInvertedDigits);
  if (digits.size() != kInvertedDigits) return false;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return false;
  *event_index = value;
  return true;
}

std::string HexEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    unsigned char c = static_cast<unsigned char>(ch);
    out.push_back(kHexDigits[c >> 4]);
    out.push_back(kHexDigits[c & 0xf]);
  }
  return out;
}

}  // namespace lifeboat::mailbox
