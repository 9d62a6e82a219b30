#pragma once
// Message content framing for DATA (RFC 5321 4.1.1.4, 4.5.2) and BDAT (RFC 3030 2).
//
// Line endings are CRLF and nothing else (RFC 5321 2.3.8). A bare LF or a bare CR in content is
// how SMTP smuggling (2023) makes two servers disagree on where a message ends, so both decoders
// report it and the session refuses the message (Postfix smtpd_forbid_bare_newline).
//
// Ownership: a decoder appends to a caller-owned std::string that must outlive it. Once the
// content passes `message_bytes_max` it is cleared and nothing more is kept (the message will be
// refused), but the framing is still followed to the end so the session stays in sync.

#include <cstdint>
#include <string>
#include <string_view>

namespace lifeboat::smtp {

// Limits and content state shared by both decoders.
class ContentSink {
 public:
  ContentSink(size_t text_line_bytes_max, uint64_t message_bytes_max, std::string* content);

  bool too_big() const { return too_big_; }
  bool line_too_long() const { return line_too_long_; }
  uint64_t content_bytes() const { return content_bytes_; }

 protected:
  void Append(std::string_view text);
  // A line of `line_bytes` octets (CRLF excluded) ended: RFC 5321 4.5.3.1.6 counts the CRLF.
  void CheckLineLength(size_t line_bytes);

 private:
  size_t text_line_bytes_max_;
  uint64_t message_bytes_max_;
  std::string* content_;
  uint64_t content_bytes_ = 0;
  bool too_big_ = false;
  bool line_too_long_ = false;
};

// DATA content: CRLF-framed lines, dot-unstuffed, ended by CRLF "." CRLF.
class DataDecoder : public ContentSink {
 public:
  enum class State { kNeedMore, kEnd, kBareLf, kBareCr };

  using ContentSink::ContentSink;

  // Consumes bytes of `input` and returns how many. Stops right after the end-of-data line
  // (what follows is the next pipelined command) or at a bare CR/LF (the session then closes).
  size_t Feed(std::string_view input);
  State state() const { return state_; }

 private:
  void EndLine();

  State state_ = State::kNeedMore;
  bool line_start_ = true;   // the last thing seen was CRLF (or the DATA command itself)
  bool line_dot_ = false;    // the current line began with "." (removed, RFC 5321 4.5.2)
  bool pending_cr_ = false;  // a CR whose LF has not arrived yet
  size_t line_bytes_ = 0;
};

// BDAT content: exactly the announced octets, no dot handling (RFC 3030 2). Lines are still
// checked: the message is relayed later with DATA, where a bare LF would be a smuggling vector.
class ChunkDecoder : public ContentSink {
 public:
  using ContentSink::ContentSink;

  void Feed(std::string_view chunk_bytes);
  // True once a bare CR or LF was seen; a CR at the very end is bare only if the message ends.
  bool bare_newline() const { return bare_newline_; }
  // Called after the LAST chunk: a trailing CR with no LF is a bare CR.
  void Finish();

 private:
  bool pending_cr_ = false;
  bool bare_newline_ = false;
  size_t line_bytes_ = 0;
};

}  // namespace lifeboat::smtp
