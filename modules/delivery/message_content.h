#pragma once
// The message content as it goes on the wire after DATA (RFC 5321 4.1.1.4, 4.5.2): every line
// ended by CRLF, a line starting with "." doubled (dot-stuffing, 4.5.2), then ".\r\n".
//
// Never a bare CR or LF on the wire (RFC 5321 2.3.8: they are not line ends, and servers differ
// in reading them, which SMTP smuggling exploits): a CR or LF that is not part of a CRLF pair is
// sent as CRLF. A message that did not end with CRLF gets one before the final ".".

#include <string>
#include <string_view>

namespace lifeboat::delivery {

// The bytes to send after the 354, the terminating ".\r\n" included.
std::string EncodeContent(std::string_view content);

// The size the SIZE parameter announces (RFC 1870 4: the message with CRLF line ends, before
// dot-stuffing): EncodeContent's output without the stuffed dots and the final ".\r\n".
uint64_t ContentSizeBytes(std::string_view content);

}  // namespace lifeboat::delivery
