#include "modules/smtp/reply.h"

#include "appliance/env/check.h"

namespace lifeboat::smtp {

Reply MakeReply(int code, std::string_view enhanced, std::string_view text) {
  Reply reply;
  reply.code = code;
  reply.enhanced = std::string(enhanced);
  reply.lines.emplace_back(text);
  return reply;
}

std::string FormatReply(const Reply& reply) {
  LB_CHECK(reply.code >= 200 && reply.code <= 599);
  LB_CHECK(!reply.lines.empty());
  const std::string code = std::to_string(reply.code);
  std::string out;
  for (size_t i = 0; i < reply.lines.size(); ++i) {
    out += code;
    out += (i + 1 == reply.lines.size()) ? ' ' : '-';
    if (!reply.enhanced.empty()) {
      out += reply.enhanced;
      out += ' ';
    }
    out += reply.lines[i];
    out += "\r\n";
  }
  return out;
}

}  // namespace lifeboat::smtp
