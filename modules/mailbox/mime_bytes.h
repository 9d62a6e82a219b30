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

}  // namespace lifeboat::mailbox
