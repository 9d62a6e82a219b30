#include "modules/mailbox/gmime_support.h"

#include <algorithm>
#include <mutex>
#include <optional>

#include "appliance/env/check.h"
#include "modules/mailbox/mime_bytes.h"

namespace lifeboat::mailbox::internal {
namespace {

// Bytes read from a filtered stream per call while decoding a part; the first read is smaller
// because a preview usually needs less than that.
constexpr size_t kDecodeChunkBytes = 4096;
constexpr size_t kDecodeFirstChunkBytes = 1024;
// Where a parsed message keeps the array that wraps the caller's bytes (g_object_set_data_full).
constexpr char kRawBytesKey[] = "lifeboat-raw-message-bytes";

bool IsUtf8OrAscii(const char* charset) {
  return g_ascii_strcasecmp(charset, "utf-8") == 0 || g_ascii_strcasecmp(charset, "utf8") == 0 ||
         g_ascii_strcasecmp(charset, "us-ascii") == 0;
}

bool NeedsTransferDecoding(GMimeContentEncoding encoding) {
  return encoding == GMIME_CONTENT_ENCODING_BASE64 ||
         encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
         encoding == GMIME_CONTENT_ENCODING_UUENCODE;
}

bool IsIdentityEncoding(GMimeContentEncoding encoding) {
  return encoding == GMIME_CONTENT_ENCODING_DEFAULT || encoding == GMIME_CONTENT_ENCODING_7BIT ||
         encoding == GMIME_CONTENT_ENCODING_8BIT || encoding == GMIME_CONTENT_ENCODING_BINARY;
}

// Frees a GByteArray made by g_byte_array_new_take over borrowed bytes, leaving the bytes alone.
void FreeBorrowingByteArray(void* array) {
  g_byte_array_free(static_cast<GByteArray*>(array), FALSE);
}

}  // namespace

void EnsureGMimeInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

ParserOptionsPtr LenientParserOptions() {
  EnsureGMimeInitialized();
  ParserOptionsPtr options(g_mime_parser_options_new());
  g_mime_parser_options_set_rfc2047_compliance_mode(options.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_address_compliance_mode(options.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode(options.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  static const char* kFallbackCharsets[] = {"UTF-8", "windows-1252", nullptr};
  g_mime_parser_options_set_fallback_charsets(options.get(), kFallbackCharsets);
  return options;
}

GObjectPtr<GMimeMessage> ParseMessage(std::string_view raw, GMimeParserOptions* options) {
  EnsureGMimeInitialized();
  LB_CHECK(raw.size() <= G_MAXUINT);
  // g_mime_stream_mem_new_with_buffer copies the whole message. Instead the stream reads a
  // GByteArray that only points at `raw` (g_byte_array_new_take stores the pointer; the stream is
  // told it does not own the array). The parser's part streams share that array, so the message
  // holds it until g_object_finalize, after its parts are gone.
  GByteArray* borrowed =
      g_byte_array_new_take(reinterpret_cast<guint8*>(const_cast<char*>(raw.data())), raw.size());
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_byte_array(borrowed));
  g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream.get()), FALSE);
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GObjectPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), options));
  parser.reset();
  stream.reset();
  if (message == nullptr) {
    FreeBorrowingByteArray(borrowed);
  } else {
    g_object_set_data_full(G_OBJECT(message.get()), kRawBytesKey, borrowed, FreeBorrowingByteArray);
  }
  return message;
}

namespace {

// A filtered stream that undoes a leaf part's transfer encoding and, when `to_utf8`, converts its
// charset to UTF-8. Null when the part has no content.
GObjectPtr<GMimeStream> DecodingStream(GMimePart* part, bool to_utf8) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return nullptr;
  GMimeStream* source = g_mime_data_wrapper_get_stream(content);
  if (source == nullptr) return nullptr;
  if (g_mime_stream_reset(source) == -1) return nullptr;
  GObjectPtr<GMimeStream> filtered(g_mime_stream_filter_new(source));
  GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(content);
  if (NeedsTransferDecoding(encoding)) {
    GObjectPtr<GMimeFilter> decoder(g_mime_filter_basic_new(encoding, FALSE));
    if (decoder != nullptr) {
      g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()), decoder.get());
    }
  }
  const char* charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
  if (to_utf8 && charset != nullptr && !IsUtf8OrAscii(charset)) {
    // Null when iconv does not know the charset: the bytes then pass through and MakeValidUtf8
    // replaces what is not UTF-8.
    GObjectPtr<GMimeFilter> converter(g_mime_filter_charset_new(charset, "UTF-8"));
    if (converter != nullptr) {
      g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()), converter.get());
    }
  }
  return filtered;
}

// Calls `take(piece, last)` with successive pieces of the decoded content, at most
// `decoded_bytes_max` bytes in all, until it returns false. `last` is true once, on the final call
// (its piece may be empty): the content ended or the limit was reached.
template <typename TakeFn>
void ReadDecoded(GMimePart* part, size_t decoded_bytes_max, bool to_utf8, TakeFn take) {
  GObjectPtr<GMimeStream> filtered = DecodingStream(part, to_utf8);
  if (filtered == nullptr) return;
  char buffer[kDecodeChunkBytes];
  size_t decoded = 0;
  while (decoded < decoded_bytes_max) {
    size_t chunk_bytes = decoded == 0 ? kDecodeFirstChunkBytes : sizeof(buffer);
    size_t want = std::min(chunk_bytes, decoded_bytes_max - decoded);
    ssize_t got = g_mime_stream_read(filtered.get(), buffer, want);
    if (got <= 0) break;
    decoded += static_cast<size_t>(got);
    bool last = decoded == decoded_bytes_max;
    if (!take(std::string_view(buffer, static_cast<size_t>(got)), last) || last) return;
  }
  take(std::string_view(), true);
}

// Where the trailing bytes of `text` start a UTF-8 sequence that more bytes could complete
// (g_utf8_get_char_validated says "partial"); text.size() when there is none. A lead byte
// (11xxxxxx) never belongs to an earlier sequence, so glib's validation starts a sequence there.
size_t IncompleteTailStart(std::string_view text) {
  for (size_t tail = 1; tail <= std::min<size_t>(3, text.size()); ++tail) {
    size_t at = text.size() - tail;
    unsigned char c = static_cast<unsigned char>(text[at]);
    if (c < 0x80) break;
    if (c < 0xC0) continue;  // a continuation byte: look further back for its lead
    gunichar decoded = g_utf8_get_char_validated(text.data() + at, static_cast<gssize>(tail));
    return decoded == static_cast<gunichar>(-2) ? at : text.size();
  }
  return text.size();
}

// Appends MakeValidUtf8(text) to `out`; `text` holds no NUL.
void AppendValidUtf8(std::string_view text, std::string& out) {
  if (g_utf8_validate_len(text.data(), text.size(), nullptr)) {
    out.append(text);
    return;
  }
  gchar* valid = g_utf8_make_valid(text.data(), static_cast<gssize>(text.size()));
  out.append(valid);
  g_free(valid);
}

}  // namespace

void ReadTextPart(GMimePart* part, size_t decoded_bytes_max, const TextSink& sink) {
  // MakeValidUtf8 of the whole text, done piece by piece. g_utf8_make_valid decides at each
  // sequence start from that sequence's own bytes, so a piece comes out as it would within the
  // whole text, except a sequence cut at its end: that tail waits for the next piece (or the end).
  std::string pending;
  std::string valid;
  ReadDecoded(part, decoded_bytes_max, /*to_utf8=*/true, [&](std::string_view piece, bool last) {
    // The usual case: nothing held back and the piece valid as it is (which also means no NUL and
    // no cut sequence at its end).
    if (pending.empty() && g_utf8_validate_len(piece.data(), piece.size(), nullptr)) {
      return piece.empty() || sink(piece);
    }
    size_t old_size = pending.size();
    pending.append(piece);
    // NUL is valid UTF-8 but ends C strings (and glib's validation): it becomes a space.
    std::replace(pending.begin() + static_cast<ptrdiff_t>(old_size), pending.end(), '\0', ' ');
    size_t ready = last ? pending.size() : IncompleteTailStart(pending);
    valid.clear();
    AppendValidUtf8(std::string_view(pending).substr(0, ready), valid);
    pending.erase(0, ready);
    return valid.empty() || sink(valid);
  });
}

std::string DecodeTextPart(GMimePart* part, size_t decoded_bytes_max) {
  std::string text;
  ReadTextPart(part, decoded_bytes_max, [&text](std::string_view piece) {
    text.append(piece);
    return true;
  });
  return text;
}

std::string DecodePartBytes(GMimePart* part, size_t decoded_bytes_max) {
  std::string decoded;
  ReadDecoded(part, decoded_bytes_max, /*to_utf8=*/false, [&decoded](std::string_view piece, bool) {
    decoded.append(piece);
    return true;
  });
  return decoded;
}

namespace {

// The bytes a memory stream (ParseMessage makes only those) reads between its bounds, in place;
// nullopt for any other stream.
std::optional<std::string_view> MemoryStreamBytes(GMimeStream* stream) {
  if (stream == nullptr || !GMIME_IS_STREAM_MEM(stream)) return std::nullopt;
  GByteArray* buffer = GMIME_STREAM_MEM(stream)->buffer;
  if (buffer == nullptr) return std::nullopt;
  gint64 length = buffer->len;
  gint64 end = stream->bound_end == -1 ? length : std::min(stream->bound_end, length);
  gint64 start = stream->bound_start;
  if (start < 0 || end < start) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(buffer->data) + start,
                          static_cast<size_t>(end - start));
}

}  // namespace

size_t DecodedContentBytes(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return 0;
  GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(content);
  std::optional<std::string_view> encoded =
      MemoryStreamBytes(g_mime_data_wrapper_get_stream(content));
  if (encoded && IsIdentityEncoding(encoding)) return encoded->size();
  if (encoded && encoding == GMIME_CONTENT_ENCODING_BASE64) {
    return Base64DecodedBytes(*encoded);
  }
  // Quoted-printable, uuencode: let GMime decode into a stream that only counts.
  GObjectPtr<GMimeStream> counter(g_mime_stream_null_new());
  g_mime_data_wrapper_write_to_stream(content, counter.get());
  return GMIME_STREAM_NULL(counter.get())->written;
}

size_t SerializedBytes(GMimeObject* object) {
  GObjectPtr<GMimeStream> counter(g_mime_stream_null_new());
  g_mime_object_write_to_stream(object, nullptr, counter.get());
  return GMIME_STREAM_NULL(counter.get())->written;
}

std::string MakeValidUtf8(std::string_view text) {
  // The usual case first: g_utf8_validate_len also rejects NUL, so a pass leaves nothing to do.
  if (g_utf8_validate_len(text.data(), text.size(), nullptr)) return std::string(text);
  // NUL is valid UTF-8 but ends C strings (and glib's validation): it becomes a space.
  std::string copy(text);
  std::replace(copy.begin(), copy.end(), '\0', ' ');
  std::string out;
  AppendValidUtf8(copy, out);
  return out;
}

namespace {

// Where to cut `text` to at most `bytes_max` bytes without splitting a UTF-8 sequence.
size_t Utf8CutPoint(std::string_view text, size_t bytes_max) {
  if (text.size() <= bytes_max) return text.size();
  size_t end = bytes_max;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut sequence.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return end;
}

}  // namespace

std::string TruncateUtf8(std::string_view text, size_t bytes_max) {
  return std::string(text.substr(0, Utf8CutPoint(text, bytes_max)));
}

void TruncateUtf8InPlace(std::string& text, size_t bytes_max) {
  text.resize(Utf8CutPoint(text, bytes_max));
}

}  // namespace lifeboat::mailbox::internal
