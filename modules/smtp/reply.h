#pragma once
// One SMTP reply (RFC 5321 4.2) with its enhanced status code (RFC 2034, RFC 3463).
// Multiline replies repeat the code on every line, with "-" after the code on all but the last
// (RFC 5321 4.2.1); RFC 2034 section 4 puts the enhanced code on every line as well.

#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::smtp {

struct Reply {
  int code = 0;          // three digits, RFC 5321 4.2.1
  std::string enhanced;  // "2.1.0"; empty for the greeting, EHLO/HELO and 354 (RFC 2034 3)
  std::vector<std::string> lines;

  bool IsError() const { return code >= 400; }
};

// Builds a one-line reply.
Reply MakeReply(int code, std::string_view enhanced, std::string_view text);

// The bytes on the wire, every line ended by CRLF.
std::string FormatReply(const Reply& reply);

}  // namespace lifeboat::smtp
