#include "modules/mailbox/gmime_support.h"

#include <algorithm>
#include <mutex>

namespace lifeboat::mailbox::internal {
namespace {

// Bytes read from a filtered stream per call while decoding a text part.
constexpr size_t kDecodeChunkBytes = 4096;

bool IsUtf8OrAscii(const char* charset) {
  return g_ascii_strcasecmp(charset, "utf-8") == 0 || g_ascii_strcasecmp(charset, "utf8") == 0 ||
         g_ascii_strcasecmp(charset, "us-ascii") == 0;
}

bool NeedsTransferDecoding(GMimeContentEncoding encoding) {
  return encoding == GMIME_CONTENT_ENCODING_BASE64 ||
         encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
         encoding == GMIME_CONTENT_ENCODING_UUENCODE;
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
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  return GObjectPtr<GMimeMessage>(g_mime_parser_construct_message(parser.get(), options));
}

namespace {

// Reads a leaf part's content with its transfer encoding undone and, when `to_utf8`, its charset
// converted to UTF-8; at most `decoded_bytes_max` bytes.
std::string ReadPartContent(GMimePart* part, size_t decoded_bytes_max, bool to_utf8) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return "";
  GMimeStream* source = g_mime_data_wrapper_get_stream(content);
  if (source == nullptr) return "";
  if (g_mime_stream_reset(source) == -1) return "";
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
  std::string decoded;
  char buffer[kDecodeChunkBytes];
  while (decoded.size() < decoded_bytes_max) {
    size_t want = std::min(sizeof(buffer), decoded_bytes_max - decoded.size());
    ssize_t got = g_mime_stream_read(filtered.get(), buffer, want);
    if (got <= 0) break;
    decoded.append(buffer, static_cast<size_t>(got));
  }
  return decoded;
}

}  // namespace

std::string DecodeTextPart(GMimePart* part, size_t decoded_bytes_max) {
  return MakeValidUtf8(ReadPartContent(part, decoded_bytes_max, /*to_utf8=*/true));
}

std::string DecodePartBytes(GMimePart* part, size_t decoded_bytes_max) {
  return ReadPartContent(part, decoded_bytes_max, /*to_utf8=*/false);
}

size_t DecodedContentBytes(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return 0;
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
  // NUL is valid UTF-8 but ends C strings (and glib's validation): it becomes a space.
  std::string copy(text);
  std::replace(copy.begin(), copy.end(), '\0', ' ');
  if (g_utf8_validate(copy.data(), static_cast<gssize>(copy.size()), nullptr)) return copy;
  gchar* valid = g_utf8_make_valid(copy.data(), static_cast<gssize>(copy.size()));
  std::string out(valid);
  g_free(valid);
  return out;
}

std::string TruncateUtf8(std::string_view text, size_t bytes_max) {
  if (text.size() <= bytes_max) return std::string(text);
  size_t end = bytes_max;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut sequence.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

}  // namespace lifeboat::mailbox::internal
