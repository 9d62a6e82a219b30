#include "modules/webmail/query_params.h"

#include "modules/webmail/mail_limits.h"

namespace lifeboat::webmail {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int high = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) return Status::InvalidArgument("bad percent escape");
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("control character in a parameter");
    }
    out.push_back(c);
  }
  if (out.size() > kQueryValueBytesMax) return Status::InvalidArgument("parameter too long");
  return out;
}

}  // namespace

Result<std::optional<std::string>> QueryParameter(std::string_view target, std::string_view name) {
  size_t question = target.find('?');
  if (question == std::string_view::npos) return std::optional<std::string>();
  std::string_view query = target.substr(question + 1);
  std::optional<std::string> found;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t equals = pair.find('=');
    if (pair.substr(0, equals) != name) continue;
    if (found.has_value()) return Status::InvalidArgument("parameter repeated");
    std::string_view value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    Result<std::string> decoded = PercentDecode(value);
    if (!decoded.ok()) return decoded.status();
    found = std::move(decoded).value();
  }
  return found;
}

}  // namespace lifeboat::webmail
