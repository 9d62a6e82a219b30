#pragma once
// What the webmail shows of one message beyond its metadata: the plain text part, and one
// attachment's bytes (issue 12 item 2: one attachment at a time, never the raw message). GMime 3,
// lenient like message_parser.h: hostile mail never makes these fail, it only finds less.
//
// Attachment indexes are the positions in MessageMetadata.attachments: the walk here classifies
// MIME entities exactly as message_parser.cc does (a leaf with a file name, a Content-Disposition
// attachment or a type other than text/plain and text/html; an attached message/rfc822), in the
// same depth-first order and under the same limits (tests/unit/mailbox/message_content_test.cc
// checks they agree).
//
// CPU-bound on bytes up to the message size limit: callers run it off the loop thread.

#include <cstddef>
#include <string>
#include <string_view>

#include "appliance/env/status.h"

namespace lifeboat::mailbox {

// Decoded bytes of the text part returned to a browser; longer text is cut (on a character
// boundary) and MessageText.truncated says so.
inline constexpr size_t kMessageTextBytesMax = 1024 * 1024;
// Decoded bytes of one attachment served; a larger one is refused (the message size limit keeps
// real ones below it).
inline constexpr size_t kAttachmentBytesMax = 64 * 1024 * 1024;

struct MessageText {
  std::string text;  // the first text/plain part as UTF-8, "" when there is none
  bool has_html = false;
  bool truncated = false;
};

// The readable text of `raw`.
MessageText ReadMessageText(std::string_view raw);

struct AttachmentContent {
  std::string name;          // decoded file name as the sender wrote it (may be "" or hostile)
  std::string content_type;  // lower case "type/subtype"
  std::string bytes;         // transfer encoding undone; message/rfc822: the message as written
};

// Attachment `index` of `raw`. NotFound when there is no such attachment; ResourceExhausted above
// kAttachmentBytesMax.
Result<AttachmentContent> ReadAttachment(std::string_view raw, size_t index);

}  // namespace lifeboat::mailbox
