#include "modules/delivery/message_content.h"

#include <cstdint>

namespace lifeboat::delivery {
namespace {

// Calls `line(text)` for every line of `content` without its end, treating CRLF, a bare CR and a
// bare LF each as one line end. The last line is reported only if it is not empty.
template <typename LineFunction>
void ForEachLine(std::string_view content, LineFunction line) {
  size_t start = 0;
  size_t i = 0;
  while (i < content.size()) {
    char c = content[i];
    if (c != '\r' && c != '\n') {
      ++i;
      continue;
    }
    line(content.substr(start, i - start));
    i += (c == '\r' && i + 1 < content.size() && content[i + 1] == '\n') ? 2 : 1;
    start = i;
  }
  if (start < content.size()) line(content.substr(start));
}

}  // namespace

std::string EncodeContent(std::string_view content) {
  std::string wire;
  wire.reserve(content.size() + content.size() / 64 + 8);
  ForEachLine(content, [&](std::string_view line) {
    if (!line.empty() && line[0] == '.') wire += '.';
    wire.append(line);
    wire += "\r\n";
  });
  wire += ".\r\n";
  return wire;
}

uint64_t ContentSizeBytes(std::string_view content) {
  uint64_t size = 0;
  ForEachLine(content, [&](std::string_view line) { size += line.size() + 2; });
  return size;
}

}  // namespace lifeboat::delivery
