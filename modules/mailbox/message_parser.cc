#include "modules/mailbox/message_parser.h"

#include <string>

#include "modules/ascii/ascii_case.h"
#include "modules/mailbox/gmime_support.h"
#include "modules/mailbox/preview_text.h"

namespace lifeboat::mailbox {
namespace {

using internal::GObjectPtr;
using internal::StringOrEmpty;
using internal::TruncateUtf8;

// Decoded HTML read before the first attempt to strip more of it; each later attempt waits for
// twice as much, so markup left open at the end of what was read (a long <style>) is scanned again
// a bounded number of times: at most about twice one full pass in all.
constexpr size_t kHtmlFirstStripBytes = 1024;

std::string CleanToken(const char* value, size_t bytes_max) {
  if (value == nullptr) return "";
  std::string clean = internal::MakeValidUtf8(value);
  internal::TruncateUtf8InPlace(clean, bytes_max);
  return clean;
}

void AddProblemOnce(MessageMetadata& metadata, const std::string& problem) {
  for (const std::string& existing : metadata.problems()) {
    if (existing == problem) return;
  }
  metadata.add_problems(problem);
}

void AppendAddress(InternetAddress* address, google::protobuf::RepeatedPtrField<Address>& out,
                   bool& truncated) {
  if (static_cast<size_t>(out.size()) >= kAddressesPerFieldMax) {
    truncated = true;
    return;
  }
  if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
    Address* entry = out.Add();
    entry->set_name(CleanToken(internet_address_get_name(address), kHeaderTokenBytesMax));
    entry->set_address(
        CleanToken(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address)),
                   kHeaderTokenBytesMax));
    return;
  }
  if (INTERNET_ADDRESS_IS_GROUP(address)) {
    // RFC 5322 3.4: a group's members are mailboxes; groups do not nest.
    InternetAddressList* members =
        internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address));
    int count = members == nullptr ? 0 : internet_address_list_length(members);
    for (int i = 0; i < count; ++i) {
      InternetAddress* member = internet_address_list_get_address(members, i);
      if (INTERNET_ADDRESS_IS_MAILBOX(member)) AppendAddress(member, out, truncated);
    }
  }
}

void CopyAddresses(InternetAddressList* list, const char* field,
                   google::protobuf::RepeatedPtrField<Address>& out, MessageMetadata& metadata) {
  if (list == nullptr) return;
  bool truncated = false;
  int count = internet_address_list_length(list);
  for (int i = 0; i < count; ++i) {
    AppendAddress(internet_address_list_get_address(list, i), out, truncated);
  }
  if (truncated) AddProblemOnce(metadata, std::string(field) + ": address limit reached");
}

// The first msg-id of In-Reply-To (RFC 5322 3.6.4), without angle brackets.
std::string FirstReference(GMimeMessage* message, GMimeParserOptions* options) {
  const char* value = g_mime_object_get_header(GMIME_OBJECT(message), "In-Reply-To");
  if (value == nullptr) return "";
  GMimeReferences* references = g_mime_references_parse(options, value);
  if (references == nullptr) return "";
  std::string first;
  if (g_mime_references_length(references) > 0) {
    first = CleanToken(g_mime_references_get_message_id(references, 0), kHeaderTokenBytesMax);
  }
  g_mime_references_free(references);
  return first;
}

std::string LowerMimeType(GMimeContentType* type) {
  if (type == nullptr) return "application/octet-stream";
  gchar* mime_type = g_mime_content_type_get_mime_type(type);
  std::string out = StringOrEmpty(mime_type);
  g_free(mime_type);
  return TruncateUtf8(ascii::Lower(out), kHeaderTokenBytesMax);
}

// What one walk over the MIME tree collects.
struct Walk {
  MessageMetadata& metadata;
  size_t entities_seen = 0;
  bool limits_hit = false;
  GMimePart* first_plain = nullptr;
  GMimePart* first_html = nullptr;
};

void AddAttachment(Walk& walk, std::string name, std::string content_type, size_t decoded_bytes) {
  if (static_cast<size_t>(walk.metadata.attachments_size()) >= kAttachmentsMax) {
    AddProblemOnce(walk.metadata, "attachment limit reached");
    return;
  }
  Attachment* attachment = walk.metadata.add_attachments();
  attachment->set_name(std::move(name));
  attachment->set_content_type(std::move(content_type));
  attachment->set_decoded_bytes(decoded_bytes);
}

void VisitLeaf(Walk& walk, GMimePart* part) {
  GMimeContentType* type = g_mime_object_get_content_type(GMIME_OBJECT(part));
  std::string mime_type = LowerMimeType(type);
  // g_mime_part_get_filename reads Content-Disposition filename, then Content-Type name, both
  // decoded per RFC 2231 and (loosely) RFC 2047.
  const char* filename = g_mime_part_get_filename(part);
  bool is_text = mime_type == "text/plain" || mime_type == "text/html";
  bool is_attachment = g_mime_part_is_attachment(part) || filename != nullptr || !is_text;
  if (is_attachment) {
    AddAttachment(walk, CleanToken(filename, kHeaderTokenBytesMax), mime_type,
                  internal::DecodedContentBytes(part));
    return;
  }
  if (mime_type == "text/plain" && walk.first_plain == nullptr) walk.first_plain = part;
  if (mime_type == "text/html" && walk.first_html == nullptr) walk.first_html = part;
}

void VisitAttachedMessage(Walk& walk, GMimeMessagePart* part) {
  // A forwarded message (RFC 2046 5.2.1) is listed as one attachment; its own parts belong to it.
  const char* filename =
      g_mime_object_get_content_disposition_parameter(GMIME_OBJECT(part), "filename");
  std::string name = CleanToken(filename, kHeaderTokenBytesMax);
  GMimeMessage* inner = g_mime_message_part_get_message(part);
  if (name.empty() && inner != nullptr) {
    std::string subject = CleanToken(g_mime_message_get_subject(inner), kHeaderTokenBytesMax);
    name = (subject.empty() ? std::string("message") : subject) + ".eml";
  }
  size_t bytes = inner == nullptr ? 0 : internal::SerializedBytes(GMIME_OBJECT(inner));
  AddAttachment(walk, std::move(name), "message/rfc822", bytes);
}

void VisitEntity(Walk& walk, GMimeObject* entity, int depth) {
  if (entity == nullptr || walk.limits_hit) return;
  if (depth > kMimeDepthMax || ++walk.entities_seen > kMimePartsMax) {
    walk.limits_hit = true;
    AddProblemOnce(walk.metadata, "MIME depth or part limit reached: later parts not read");
    return;
  }
  if (GMIME_IS_MULTIPART(entity)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(entity);
    int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count && !walk.limits_hit; ++i) {
      VisitEntity(walk, g_mime_multipart_get_part(multipart, i), depth + 1);
    }
  } else if (GMIME_IS_MESSAGE_PART(entity)) {
    VisitAttachedMessage(walk, GMIME_MESSAGE_PART(entity));
  } else if (GMIME_IS_PART(entity)) {
    VisitLeaf(walk, GMIME_PART(entity));
  }
}

// The preview is a bounded prefix of the text: decoding stops once it is full.
std::string PlainPreview(GMimePart* part) {
  PreviewBuilder builder;
  internal::ReadTextPart(part, kPreviewSourceBytesMax,
                         [&builder](std::string_view piece) { return builder.Append(piece); });
  return builder.Take();
}

// HTML is stripped before the preview is cut, and markup may run on (a <style> block): what is
// read is stripped as far as no later byte can change it, and decoding stops once the preview of
// that is full.
std::string HtmlPreview(GMimePart* part) {
  std::string html;
  size_t stripped_bytes = 0;
  size_t next_strip_bytes = kHtmlFirstStripBytes;
  PreviewBuilder builder;
  internal::ReadTextPart(part, kPreviewSourceBytesMax, [&](std::string_view piece) {
    html.append(piece);
    if (html.size() < next_strip_bytes) return true;
    next_strip_bytes = html.size() * 2;
    size_t consumed_bytes = 0;
    std::string text =
        StripHtmlSettledPrefix(std::string_view(html).substr(stripped_bytes), consumed_bytes);
    stripped_bytes += consumed_bytes;
    return builder.Append(internal::MakeValidUtf8(text));
  });
  if (!builder.full()) {
    std::string_view rest = std::string_view(html).substr(stripped_bytes);
    builder.Append(internal::MakeValidUtf8(StripHtmlForPreview(rest)));
  }
  return builder.Take();
}

void FillPreview(Walk& walk) {
  if (walk.first_plain != nullptr) {
    walk.metadata.set_preview(PlainPreview(walk.first_plain));
  } else if (walk.first_html != nullptr) {
    walk.metadata.set_preview(HtmlPreview(walk.first_html));
  }
}

void FillHeaders(GMimeMessage* message, GMimeParserOptions* options, MessageMetadata& metadata,
                 int64_t fallback_date_unix_seconds) {
  CopyAddresses(g_mime_message_get_from(message), "From", *metadata.mutable_from(), metadata);
  CopyAddresses(g_mime_message_get_addresses(message, GMIME_ADDRESS_TYPE_TO), "To",
                *metadata.mutable_to(), metadata);
  CopyAddresses(g_mime_message_get_addresses(message, GMIME_ADDRESS_TYPE_CC), "Cc",
                *metadata.mutable_cc(), metadata);
  if (metadata.from().empty()) AddProblemOnce(metadata, "no From address");
  // GMime decodes RFC 2047 encoded-words and converts their charset to UTF-8.
  metadata.set_subject(CleanToken(g_mime_message_get_subject(message), kSubjectBytesMax));
  GDateTime* date = g_mime_message_get_date(message);
  if (date != nullptr) {
    metadata.set_date_unix_seconds(g_date_time_to_unix(date));
    metadata.set_date_from_header(true);
  } else {
    metadata.set_date_unix_seconds(fallback_date_unix_seconds);
    const char* raw_date = g_mime_object_get_header(GMIME_OBJECT(message), "Date");
    AddProblemOnce(metadata, raw_date == nullptr ? "no Date header" : "unparseable Date header");
  }
  metadata.set_message_id(CleanToken(g_mime_message_get_message_id(message), kHeaderTokenBytesMax));
  metadata.set_in_reply_to(FirstReference(message, options));
}

}  // namespace

MessageMetadata ParseMessageMetadata(std::string_view raw, int64_t fallback_date_unix_seconds) {
  MessageMetadata metadata;
  metadata.set_size_bytes(raw.size());
  metadata.set_date_unix_seconds(fallback_date_unix_seconds);
  internal::ParserOptionsPtr options = internal::LenientParserOptions();
  GObjectPtr<GMimeMessage> message = internal::ParseMessage(raw, options.get());
  if (message == nullptr) {
    metadata.add_problems("not a parseable message");
    return metadata;
  }
  FillHeaders(message.get(), options.get(), metadata, fallback_date_unix_seconds);
  Walk walk{metadata};
  VisitEntity(walk, g_mime_message_get_mime_part(message.get()), 0);
  FillPreview(walk);
  metadata.set_has_attachments(metadata.attachments_size() > 0);
  return metadata;
}

}  // namespace lifeboat::mailbox
