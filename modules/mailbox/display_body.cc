#include "modules/mailbox/display_body.h"

#include <glib.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "modules/mailbox/gmime_support.h"
#include "modules/mailbox/message_parser.h"

namespace lifeboat::mailbox {
namespace {

constexpr std::array<std::string_view, 4> kInlineImageTypes = {"image/png", "image/gif",
                                                               "image/jpeg", "image/webp"};

std::string MimeType(GMimeObject* object) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (type == nullptr) return "text/plain";  // RFC 2045 5.2 default
  gchar* mime_type = g_mime_content_type_get_mime_type(type);
  std::string result = internal::StringOrEmpty(mime_type);
  g_free(mime_type);
  for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

struct Walk {
  size_t entities_seen = 0;
  GMimePart* first_html = nullptr;
  GMimePart* first_plain = nullptr;
  std::map<std::string, GMimePart*> images;
};

void VisitLeaf(Walk& walk, GMimePart* part) {
  std::string mime_type = MimeType(GMIME_OBJECT(part));
  const char* content_id = g_mime_object_get_content_id(GMIME_OBJECT(part));
  bool raster = std::find(kInlineImageTypes.begin(), kInlineImageTypes.end(), mime_type) !=
                kInlineImageTypes.end();
  if (raster && content_id != nullptr && walk.images.size() < kInlineImagesMax) {
    walk.images.emplace(content_id, part);  // GMime strips the angle brackets
    return;
  }
  if (g_mime_part_is_attachment(part)) return;
  if (mime_type == "text/html" && walk.first_html == nullptr) walk.first_html = part;
  if (mime_type == "text/plain" && walk.first_plain == nullptr) walk.first_plain = part;
}

void VisitEntity(Walk& walk, GMimeObject* entity, int depth) {
  if (entity == nullptr || depth > kMimeDepthMax || ++walk.entities_seen > kMimePartsMax) return;
  if (GMIME_IS_MULTIPART(entity)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(entity);
    int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count; ++i) {
      VisitEntity(walk, g_mime_multipart_get_part(multipart, i), depth + 1);
    }
  } else if (GMIME_IS_PART(entity)) {
    VisitLeaf(walk, GMIME_PART(entity));
  }
  // A forwarded message (message/rfc822) is an attachment: its body is not ours to show.
}

std::string DataUri(GMimePart* part) {
  std::string bytes = internal::DecodePartBytes(part, kInlineImageBytesMax + 1);
  if (bytes.empty() || bytes.size() > kInlineImageBytesMax) return "";
  gchar* encoded = g_base64_encode(reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
  std::string uri = "data:" + MimeType(GMIME_OBJECT(part)) + ";base64," + encoded;
  g_free(encoded);
  return uri;
}

}  // namespace

DisplayBody ReadDisplayBody(std::string_view raw) {
  internal::EnsureGMimeInitialized();
  DisplayBody body;
  internal::ParserOptionsPtr options = internal::LenientParserOptions();
  internal::GObjectPtr<GMimeMessage> message = internal::ParseMessage(raw, options.get());
  if (message == nullptr) return body;
  Walk walk;
  VisitEntity(walk, g_mime_message_get_mime_part(message.get()), 0);
  if (walk.first_html != nullptr) {
    body.html = internal::DecodeTextPart(walk.first_html, kDisplayBodyBytesMax);
    for (const auto& [content_id, part] : walk.images) {
      std::string uri = DataUri(part);
      if (!uri.empty()) body.inline_images.emplace(content_id, std::move(uri));
    }
  } else if (walk.first_plain != nullptr) {
    body.text = internal::DecodeTextPart(walk.first_plain, kDisplayBodyBytesMax);
  }
  return body;
}

}  // namespace lifeboat::mailbox
