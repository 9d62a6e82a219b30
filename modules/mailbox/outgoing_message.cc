#include "modules/mailbox/outgoing_message.h"

#include "modules/mailbox/gmime_support.h"

namespace lifeboat::mailbox {
namespace {

using internal::GObjectPtr;

void AddAddresses(GMimeMessage* message, GMimeAddressType type,
                  const std::vector<OutgoingAddress>& addresses) {
  for (const OutgoingAddress& address : addresses) {
    g_mime_message_add_mailbox(message, type, address.name.empty() ? nullptr : address.name.c_str(),
                               address.address.c_str());
  }
}

GObjectPtr<GMimeObject> TextPart(const std::string& text) {
  GObjectPtr<GMimeTextPart> part(g_mime_text_part_new_with_subtype("plain"));
  g_mime_text_part_set_charset(part.get(), "utf-8");
  g_mime_text_part_set_text(part.get(), text.c_str());
  return GObjectPtr<GMimeObject>(GMIME_OBJECT(part.release()));
}

GObjectPtr<GMimeObject> AttachmentPart(const OutgoingAttachment& attachment) {
  GObjectPtr<GMimeContentType> type(
      g_mime_content_type_parse(nullptr, attachment.content_type.c_str()));
  const char* media = type != nullptr ? g_mime_content_type_get_media_type(type.get()) : nullptr;
  const char* subtype =
      type != nullptr ? g_mime_content_type_get_media_subtype(type.get()) : nullptr;
  bool usable = media != nullptr && subtype != nullptr && *media != '\0' && *subtype != '\0' &&
                attachment.content_type.find('/') != std::string::npos;
  GObjectPtr<GMimePart> part(usable ? g_mime_part_new_with_type(media, subtype)
                                    : g_mime_part_new_with_type("application", "octet-stream"));
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(
      reinterpret_cast<const char*>(attachment.bytes.data()), attachment.bytes.size()));
  GObjectPtr<GMimeDataWrapper> content(
      g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(part.get(), content.get());
  g_mime_part_set_content_encoding(part.get(), GMIME_CONTENT_ENCODING_BASE64);
  g_mime_object_set_disposition(GMIME_OBJECT(part.get()), GMIME_DISPOSITION_ATTACHMENT);
  if (!attachment.name.empty()) g_mime_part_set_filename(part.get(), attachment.name.c_str());
  return GObjectPtr<GMimeObject>(GMIME_OBJECT(part.release()));
}

}  // namespace

std::string WriteOutgoingMessage(const OutgoingMessage& outgoing) {
  internal::EnsureGMimeInitialized();
  GObjectPtr<GMimeMessage> message(g_mime_message_new(TRUE));
  AddAddresses(message.get(), GMIME_ADDRESS_TYPE_FROM, {outgoing.from});
  AddAddresses(message.get(), GMIME_ADDRESS_TYPE_TO, outgoing.to);
  AddAddresses(message.get(), GMIME_ADDRESS_TYPE_CC, outgoing.cc);
  g_mime_message_set_subject(message.get(), outgoing.subject.c_str(), "utf-8");
  g_mime_message_set_message_id(message.get(), outgoing.message_id.c_str());
  GDateTime* date = g_date_time_new_from_unix_utc(outgoing.date_unix_seconds);
  g_mime_message_set_date(message.get(), date);
  g_date_time_unref(date);
  if (!outgoing.in_reply_to.empty()) {
    // RFC 5322 3.6.4: In-Reply-To and References name the parent.
    std::string reference = "<" + outgoing.in_reply_to + ">";
    g_mime_object_set_header(GMIME_OBJECT(message.get()), "In-Reply-To", reference.c_str(),
                             nullptr);
    g_mime_object_set_header(GMIME_OBJECT(message.get()), "References", reference.c_str(), nullptr);
  }
  GObjectPtr<GMimeObject> body = TextPart(outgoing.text);
  if (!outgoing.attachments.empty()) {
    GObjectPtr<GMimeMultipart> mixed(g_mime_multipart_new_with_subtype("mixed"));
    g_mime_multipart_add(mixed.get(), body.get());
    for (const OutgoingAttachment& attachment : outgoing.attachments) {
      GObjectPtr<GMimeObject> part = AttachmentPart(attachment);
      g_mime_multipart_add(mixed.get(), part.get());
    }
    body.reset(GMIME_OBJECT(mixed.release()));
  }
  g_mime_message_set_mime_part(message.get(), body.get());
  // Non-ASCII text goes out quoted-printable or base64: 7-bit safe for any relay.
  g_mime_object_encode(GMIME_OBJECT(message.get()), GMIME_ENCODING_CONSTRAINT_7BIT);
  GMimeFormatOptions* format = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  gchar* text = g_mime_object_to_string(GMIME_OBJECT(message.get()), format);
  g_mime_format_options_free(format);
  std::string raw = internal::StringOrEmpty(text);
  g_free(text);
  return raw;
}

}  // namespace lifeboat::mailbox
