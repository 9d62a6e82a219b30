#pragma once
// Reads SMTP replies (RFC 5321 4.2) from the bytes a server sends: "ddd-text" lines continue a
// multiline reply, "ddd text" (or "ddd" alone) ends it, every line with the same code
// (4.2.1). Anything else is a protocol error: the client cannot know where it stands in the
// dialogue and must drop the connection.
//
// Lines end with CRLF; a bare LF is accepted too (Postel: a broken primary still gets its mail),
// never produced. Limits: kReplyLineBytesMax per line, kReplyLinesMax per reply.

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/status.h"

namespace lifeboat::delivery {

struct ServerReply {
  int code = 0;                    // 200..599
  std::vector<std::string> lines;  // the text after "ddd-" / "ddd ", one per line

  int Class() const { return code / 100; }
  // "250 2.0.0 Ok: queued as 4Xy" (the lines joined by " / "), for events and DSNs.
  std::string Text() const;
};

class ReplyReader {
 public:
  // Appends bytes and parses every complete reply. InvalidArgument once the input breaks the
  // grammar or a limit; the reader stays failed (later calls return the same error).
  Status Feed(std::string_view bytes);
  // The oldest complete reply not yet taken.
  std::optional<ServerReply> Next();
  // True when anything is buffered: replies not taken, or bytes of an incomplete one (after
  // STARTTLS's 220 that is an injection attempt: RFC 3207 6).
  bool HasBufferedInput() const {
    return !buffer_.empty() || !current_.lines.empty() || !complete_.empty();
  }

 private:
  Status ParseLine(std::string_view line);

  std::string buffer_;
  ServerReply current_;
  std::deque<ServerReply> complete_;
  Status failure_;
};

}  // namespace lifeboat::delivery
