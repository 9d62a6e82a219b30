#include "appliance/admin/query_string.h"

#include <charconv>

namespace lifeboat::admin {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

Result<std::string> PercentDecode(std::string_view name, std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    int high = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
    int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return Status::InvalidArgument(std::string(name) + ": bad percent escape");
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

}  // namespace

Result<std::optional<std::string>> QueryText(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t equals = pair.find('=');
    if (pair.substr(0, equals) != name) continue;
    std::string_view raw = equals == std::string_view::npos ? "" : pair.substr(equals + 1);
    auto value = PercentDecode(name, raw);
    if (!value.ok()) return value.status();
    if (value->size() > kAdminQueryValueBytesMax) {
      return Status::InvalidArgument(std::string(name) + ": longer than " +
                                     std::to_string(kAdminQueryValueBytesMax) + " bytes");
    }
    return std::optional<std::string>(std::move(value).value());
  }
  return std::optional<std::string>();
}

Result<bool> QueryUint(std::string_view query, std::string_view name, uint64_t& value) {
  auto text = QueryText(query, name);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return false;
  const std::string& digits = **text;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
    return Status::InvalidArgument(std::string(name) + "=" + digits +
                                   ": expected a decimal integer");
  }
  return true;
}

Result<bool> QueryFlag(std::string_view query, std::string_view name, bool absent) {
  auto value = QueryText(query, name);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return absent;
  if (**value == "1") return true;
  if (**value == "0") return false;
  return Status::InvalidArgument(std::string(name) + "=" + **value + ": expected 0 or 1");
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace lifeboat::admin
