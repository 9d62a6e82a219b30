#pragma once
// What a message view renders as its body, out of a raw RFC 5322 message (GMime 3): the first
// HTML part that is not an attachment, else the first plain text part, and the images the HTML
// may reference by Content-ID (RFC 2392 cid: URLs, multipart/related, RFC 2387) as data: URIs.
//
// Mail is hostile input: like the metadata parser it never fails; a message GMime cannot read
// gives an empty body. The walk is bounded by message_parser.h's limits and the ones below. The
// HTML is returned as the sender wrote it (decoded to UTF-8): the webmail sanitizes it
// (modules/webmail/html_sanitizer.h). Thread-safe; runs on a worker thread.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace lifeboat::mailbox {

// Decoded bytes of the HTML or text body kept.
inline constexpr size_t kDisplayBodyBytesMax = 2 * 1024 * 1024;
// Inline images kept per message, and decoded bytes of each one.
inline constexpr size_t kInlineImagesMax = 50;
inline constexpr size_t kInlineImageBytesMax = 1024 * 1024;

struct DisplayBody {
  std::string html;  // UTF-8; "" when the message has no HTML part
  std::string text;  // UTF-8; the plain part, read only when there is no HTML part
  // Content-ID (without angle brackets) -> "data:image/png;base64,...". Only raster types a
  // browser shows without running anything: image/png, image/gif, image/jpeg, image/webp.
  std::map<std::string, std::string> inline_images;
};

DisplayBody ReadDisplayBody(std::string_view raw);

}  // namespace lifeboat::mailbox
