#pragma once
// Byte-exact slicing of MIME entities, for when the bytes themselves matter: the journal intake
// files the original message attached to a journal report exactly as Exchange attached it
// ("included unaltered as an attachment"), so its SHA-256 matches a copy received directly.
// GMime finds the structure; re-serializing through it would not promise the same bytes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::mailbox {

// Where the body of `entity` starts: after the header block and the empty line that ends it
// (RFC 5322 2.1; CRLF or bare LF). nullopt when there is no empty line (headers only).
std::optional<size_t> BodyOffset(std::string_view entity);

// The value of the first `name` header field in `header_block`, unfolded (RFC 5322 2.2.3) and
// trimmed; nullopt when absent. `name` is compared case-insensitively.
std::optional<std::string> HeaderFieldValue(std::string_view header_block, std::string_view name);

// The body parts of a multipart body (RFC 2046 5.1.1), each as the bytes between its delimiter
// line and the line break that precedes the next delimiter (that line break belongs to the
// delimiter). Preamble and epilogue are dropped. An unterminated last part runs to the end.
// At most `parts_max` parts are returned.
std::vector<std::string_view> MultipartBodyParts(std::string_view body, std::string_view boundary,
                                                 size_t parts_max);

// The bytes GMime 3.2's base64 decoder (g_mime_encoding_base64_decode_step) writes for `encoded`,
// counted without decoding: an attachment's size without materialising it. The decoder skips
// what is not in the alphabet (RFC 2045 6.8) and stops at the first '=' (RFC 4648 3.3), where a
// quartet holding 2 or 3 symbols still gives 1 or 2 bytes; a quartet left unfinished without '='
// gives nothing.
size_t Base64DecodedBytes(std::string_view encoded);

}  // namespace lifeboat::mailbox
