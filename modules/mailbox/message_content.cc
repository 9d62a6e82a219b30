#include "modules/mailbox/message_content.h"

#include <cstdint>

#include "modules/ascii/ascii_case.h"
#include "modules/mailbox/gmime_support.h"
#include "modules/mailbox/message_parser.h"

namespace lifeboat::mailbox {
namespace {

using internal::GObjectPtr;

std::string LowerMimeType(GMimeObject* entity) {
  GMimeContentType* type = g_mime_object_get_content_type(entity);
  if (type == nullptr) return "application/octet-stream";
  gchar* mime_type = g_mime_content_type_get_mime_type(type);
  std::string out = internal::StringOrEmpty(mime_type);
  g_free(mime_type);
  return internal::TruncateUtf8(ascii::Lower(out), kHeaderTokenBytesMax);
}

std::string CleanName(const char* value) {
  if (value == nullptr) return "";
  std::string clean = internal::MakeValidUtf8(value);
  internal::TruncateUtf8InPlace(clean, kHeaderTokenBytesMax);
  return clean;
}

// One depth-first walk in message_parser.cc's order; stops at the attachment it looks for.
struct Walk {
  size_t wanted_attachment = SIZE_MAX;
  size_t attachments_seen = 0;
  size_t entities_seen = 0;
  bool stopped = false;
  GMimeObject* attachment = nullptr;  // the wanted one, once found
  GMimePart* first_plain = nullptr;
  bool has_html = false;
};

void CountAttachment(Walk& walk, GMimeObject* entity) {
  if (walk.attachments_seen >= kAttachmentsMax) return;  // the parser lists no more either
  if (walk.attachments_seen++ == walk.wanted_attachment) {
    walk.attachment = entity;
    walk.stopped = true;
  }
}

void VisitEntity(Walk& walk, GMimeObject* entity, int depth) {
  if (entity == nullptr || walk.stopped) return;
  if (depth > kMimeDepthMax || ++walk.entities_seen > kMimePartsMax) {
    walk.stopped = true;
    return;
  }
  if (GMIME_IS_MULTIPART(entity)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(entity);
    int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count && !walk.stopped; ++i) {
      VisitEntity(walk, g_mime_multipart_get_part(multipart, i), depth + 1);
    }
  } else if (GMIME_IS_MESSAGE_PART(entity)) {
    CountAttachment(walk, entity);
  } else if (GMIME_IS_PART(entity)) {
    GMimePart* part = GMIME_PART(entity);
    std::string mime_type = LowerMimeType(entity);
    const char* filename = g_mime_part_get_filename(part);
    bool is_text = mime_type == "text/plain" || mime_type == "text/html";
    if (g_mime_part_is_attachment(part) || filename != nullptr || !is_text) {
      CountAttachment(walk, entity);
    } else if (mime_type == "text/plain" && walk.first_plain == nullptr) {
      walk.first_plain = part;
    } else if (mime_type == "text/html") {
      walk.has_html = true;
    }
  }
}

std::string AttachedMessageName(GMimeMessagePart* part) {
  std::string name =
      CleanName(g_mime_object_get_content_disposition_parameter(GMIME_OBJECT(part), "filename"));
  GMimeMessage* inner = g_mime_message_part_get_message(part);
  if (name.empty() && inner != nullptr) {
    std::string subject = CleanName(g_mime_message_get_subject(inner));
    name = (subject.empty() ? std::string("message") : subject) + ".eml";
  }
  return name;
}

}  // namespace

MessageText ReadMessageText(std::string_view raw) {
  MessageText out;
  internal::ParserOptionsPtr options = internal::LenientParserOptions();
  GObjectPtr<GMimeMessage> message = internal::ParseMessage(raw, options.get());
  if (message == nullptr) return out;
  Walk walk;
  VisitEntity(walk, g_mime_message_get_mime_part(message.get()), 0);
  out.has_html = walk.has_html;
  if (walk.first_plain != nullptr) {
    // One byte more than kept tells whether the text was cut.
    out.text = internal::DecodeTextPart(walk.first_plain, kMessageTextBytesMax + 1);
    if (out.text.size() > kMessageTextBytesMax) {
      internal::TruncateUtf8InPlace(out.text, kMessageTextBytesMax);
      out.truncated = true;
    }
  }
  return out;
}

Result<AttachmentContent> ReadAttachment(std::string_view raw, size_t index) {
  internal::ParserOptionsPtr options = internal::LenientParserOptions();
  GObjectPtr<GMimeMessage> message = internal::ParseMessage(raw, options.get());
  if (message == nullptr) return Status::NotFound("not a parseable message");
  Walk walk;
  walk.wanted_attachment = index;
  VisitEntity(walk, g_mime_message_get_mime_part(message.get()), 0);
  if (walk.attachment == nullptr) {
    return Status::NotFound("no attachment " + std::to_string(index));
  }
  AttachmentContent content;
  if (GMIME_IS_MESSAGE_PART(walk.attachment)) {
    GMimeMessagePart* part = GMIME_MESSAGE_PART(walk.attachment);
    content.name = AttachedMessageName(part);
    content.content_type = "message/rfc822";
    GMimeMessage* inner = g_mime_message_part_get_message(part);
    if (inner != nullptr) {
      if (internal::SerializedBytes(GMIME_OBJECT(inner)) > kAttachmentBytesMax) {
        return Status::ResourceExhausted("attachment above the size limit");
      }
      gchar* text = g_mime_object_to_string(GMIME_OBJECT(inner), nullptr);
      content.bytes = internal::StringOrEmpty(text);
      g_free(text);
    }
    return content;
  }
  GMimePart* part = GMIME_PART(walk.attachment);
  content.name = CleanName(g_mime_part_get_filename(part));
  content.content_type = LowerMimeType(walk.attachment);
  if (internal::DecodedContentBytes(part) > kAttachmentBytesMax) {
    return Status::ResourceExhausted("attachment above the size limit");
  }
  content.bytes = internal::DecodePartBytes(part, kAttachmentBytesMax);
  return content;
}

}  // namespace lifeboat::mailbox
