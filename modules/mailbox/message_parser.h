#pragma once
// Reads what a message list and a message view show (senders, recipients, subject, date, ids,
// attachments, a preview) out of a raw RFC 5322 message, with GMime 3.
//
// Mail is hostile input: the parser never fails and never blocks a mail. What it cannot read is
// left empty and named in MessageMetadata.problems. Work is bounded by the limits below (GMime
// itself bounds MIME nesting while parsing; these bound our walk and what we keep).
// Deterministic: the same bytes and fallback time give the same metadata, so the mailbox
// projection can call it while folding the log.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "modules/mailbox/mailbox.pb.h"

namespace lifeboat::mailbox {

// MIME nesting we walk (multipart inside multipart ...). Deeper parts are not looked at.
inline constexpr int kMimeDepthMax = 32;
// MIME entities (multiparts and leaves) we walk per message.
inline constexpr size_t kMimePartsMax = 1000;
// Attachments listed per message.
inline constexpr size_t kAttachmentsMax = 250;
// Addresses kept per From / To / Cc field.
inline constexpr size_t kAddressesPerFieldMax = 500;
// Bytes kept of a subject, a display name, an address, a file name or a Message-ID.
inline constexpr size_t kSubjectBytesMax = 2048;
inline constexpr size_t kHeaderTokenBytesMax = 998;  // RFC 5322 2.1.1 line limit
// Decoded bytes of the text part read to build the preview (HTML may open with a long <style>).
inline constexpr size_t kPreviewSourceBytesMax = 64 * 1024;

// `fallback_date_unix_seconds` is used when the Date header is missing or unparseable
// (RFC 5322 3.3): the mailbox projection passes the MailReceived event's time.
MessageMetadata ParseMessageMetadata(std::string_view raw, int64_t fallback_date_unix_seconds);

}  // namespace lifeboat::mailbox
