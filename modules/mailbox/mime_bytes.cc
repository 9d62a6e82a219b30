#include "modules/mailbox/mime_bytes.h"

#include <array>
#include <cstdint>

#include "modules/ascii/ascii_case.h"

namespace lifeboat::mailbox {
namespace {

std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// The line starting at `at`, without its line break, and the offset of the next line.
std::string_view LineAt(std::string_view text, size_t at, size_t& next) {
  size_t end = text.find('\n', at);
  next = end == std::string_view::npos ? text.size() : end + 1;
  std::string_view line = text.substr(at, (end == std::string_view::npos ? text.size() : end) - at);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// The start of the line break that ends just before `line_start` (the delimiter's own CRLF).
size_t BeforeLineBreak(std::string_view text, size_t line_start) {
  if (line_start >= 2 && text.compare(line_start - 2, 2, "\r\n") == 0) return line_start - 2;
  if (line_start >= 1 && text[line_start - 1] == '\n') return line_start - 1;
  return line_start;
}

// 1 for the bytes of the base64 alphabet (RFC 4648 table 1), else 0. An attachment's whole
// encoded body is counted through it: a lookup has no unpredictable branch per byte.
constexpr std::array<uint8_t, 256> kBase64Symbol = [] {
  std::array<uint8_t, 256> table{};
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = 1;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = 1;
  for (int c = '0'; c <= '9'; ++c) table[c] = 1;
  table['+'] = 1;
  table['/'] = 1;
  return table;
}();

size_t CountBase64Symbols(std::string_view text) {
  size_t symbols = 0;
  for (char c : text) symbols += kBase64Symbol[static_cast<unsigned char>(c)];
  return symbols;
}

}  // namespace

std::optional<size_t> BodyOffset(std::string_view entity) {
  if (entity.starts_with("\r\n")) return 2;
  if (entity.starts_with("\n")) return 1;
  for (size_t at = entity.find('\n'); at != std::string_view::npos;
       at = entity.find('\n', at + 1)) {
    if (entity.compare(at + 1, 1, "\n") == 0) return at + 2;
    if (entity.compare(at + 1, 2, "\r\n") == 0) return at + 3;
  }
  return std::nullopt;
}

std::optional<std::string> HeaderFieldValue(std::string_view header_block, std::string_view name) {
  size_t next = 0;
  for (size_t at = 0; at < header_block.size(); at = next) {
    std::string_view line = LineAt(header_block, at, next);
    if (line.starts_with(" ") || line.starts_with("\t")) continue;  // folded part of another field
    size_t colon = line.find(':');
    if (colon == std::string_view::npos ||
        !ascii::EqualsIgnoreCase(TrimWhitespace(line.substr(0, colon)), name)) {
      continue;
    }
    std::string value(TrimWhitespace(line.substr(colon + 1)));
    // Folded continuation lines start with whitespace (RFC 5322 2.2.3).
    while (next < header_block.size() &&
           (header_block[next] == ' ' || header_block[next] == '\t')) {
      std::string_view continuation = LineAt(header_block, next, next);
      value += " ";
      value += TrimWhitespace(continuation);
    }
    return value;
  }
  return std::nullopt;
}

std::vector<std::string_view> MultipartBodyParts(std::string_view body, std::string_view boundary,
                                                 size_t parts_max) {
  std::vector<std::string_view> parts;
  if (boundary.empty()) return parts;
  const std::string delimiter = "--" + std::string(boundary);
  std::optional<size_t> part_start;
  size_t next = 0;
  for (size_t at = 0; at < body.size(); at = next) {
    std::string_view line = LineAt(body, at, next);
    if (!line.starts_with(delimiter)) continue;
    std::string_view rest = line.substr(delimiter.size());
    bool is_close = rest.starts_with("--");
    // RFC 2046 5.1.1: only linear whitespace may follow the boundary on a delimiter line.
    if (!is_close && !TrimWhitespace(rest).empty()) continue;
    if (part_start) {
      size_t end = BeforeLineBreak(body, at);
      parts.push_back(body.substr(*part_start, end > *part_start ? end - *part_start : 0));
      if (parts.size() == parts_max) return parts;
    }
    if (is_close) return parts;
    part_start = next;
  }
  if (part_start && *part_start <= body.size()) parts.push_back(body.substr(*part_start));
  return parts;
}

size_t Base64DecodedBytes(std::string_view encoded) {
  size_t pad = encoded.find('=');
  size_t symbols = CountBase64Symbols(encoded.substr(0, pad));
  size_t bytes = symbols / 4 * 3;
  size_t held = symbols % 4;
  if (pad != std::string_view::npos && held >= 2) bytes += held - 1;
  return bytes;
}

}  // namespace lifeboat::mailbox
