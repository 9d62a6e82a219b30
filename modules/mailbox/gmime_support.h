#pragma once
// The few GMime 3 facilities the mailbox module shares (message_parser.cc, journal.cc): one-time
// library initialisation, ownership of GObjects, lenient parsing of a raw message, and decoding a
// text part to UTF-8 with a bound on how much is read. Only .cc files of this module include it.

#include <gmime/gmime.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace lifeboat::mailbox::internal {

// Calls g_mime_init() once per process; safe from any thread.
void EnsureGMimeInitialized();

struct GObjectUnref {
  void operator()(void* object) const {
    if (object != nullptr) g_object_unref(object);
  }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* options) const { g_mime_parser_options_free(options); }
};
using ParserOptionsPtr = std::unique_ptr<GMimeParserOptions, ParserOptionsFree>;

// Options for mail as it is found in the wild: loose RFC 2047 / address / parameter parsing and
// undeclared 8-bit headers read as UTF-8, else windows-1252 (the usual culprit).
ParserOptionsPtr LenientParserOptions();

// Parses `raw` as an RFC 5322 message. Returns null when GMime cannot find a message at all.
// The message reads its parts' content straight out of `raw` (no copy is made): `raw` must stay
// alive and unchanged until the returned message, and everything taken from it, is released.
GObjectPtr<GMimeMessage> ParseMessage(std::string_view raw, GMimeParserOptions* options);

// Decodes a leaf part's content (Content-Transfer-Encoding, then charset to UTF-8) and returns at
// most `decoded_bytes_max` bytes of it as valid UTF-8.
std::string DecodeTextPart(GMimePart* part, size_t decoded_bytes_max);

// Receives successive pieces of a decoded text part; returns false to stop reading.
using TextSink = std::function<bool(std::string_view valid_utf8)>;
// The same text as DecodeTextPart, handed to `sink` piece by piece as it is decoded, so a reader
// that needs only a prefix (the preview) stops decoding early. Every piece is valid UTF-8 and
// ends on a character boundary; the pieces joined equal DecodeTextPart(part, decoded_bytes_max).
void ReadTextPart(GMimePart* part, size_t decoded_bytes_max, const TextSink& sink);

// A leaf part's content with only its transfer encoding undone (no charset conversion), at most
// `decoded_bytes_max` bytes.
std::string DecodePartBytes(GMimePart* part, size_t decoded_bytes_max);

// Bytes the part's content has once its transfer encoding is undone. Base64 and identity
// encodings are counted without materialising the decoded content.
size_t DecodedContentBytes(GMimePart* part);

// Bytes an object (a message/rfc822 attachment) takes when written out.
size_t SerializedBytes(GMimeObject* object);

// Replaces invalid UTF-8 sequences with U+FFFD (glib g_utf8_make_valid).
std::string MakeValidUtf8(std::string_view text);
// Cuts `text` to at most `bytes_max` bytes without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view text, size_t bytes_max);
void TruncateUtf8InPlace(std::string& text, size_t bytes_max);

// "" for null: GMime returns null for absent values.
inline std::string StringOrEmpty(const char* value) {
  return value == nullptr ? "" : value;
}

}  // namespace lifeboat::mailbox::internal
