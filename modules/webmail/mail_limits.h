#pragma once
// Limits of the webmail's mail endpoints (webmail_contract.md), units last (STYLE.md rule 8).

#include <cstddef>

namespace lifeboat::webmail {

inline constexpr size_t kMessagesPerPageDefault = 50;
inline constexpr size_t kMessagesPerPageMax = 100;
// Messages counted per folder for /api/folders (total and unread); a bigger folder shows this
// many: one bounded scan per folder keeps the answer fast on a 100,000-message mailbox.
inline constexpr size_t kFolderCountMessagesMax = 10'000;
inline constexpr size_t kFolderNameBytesMax = 255;
inline constexpr size_t kMessageIdBytesMax = 256;
inline constexpr size_t kQueryValueBytesMax = 1024;

// Sending (POST /api/send).
inline constexpr size_t kSendRecipientsMax = 100;  // To + Cc
inline constexpr size_t kSendAttachmentsMax = 20;
inline constexpr size_t kSendSubjectBytesMax = 998;  // RFC 5322 2.1.1 line limit
inline constexpr size_t kSendTextBytesMax = 1024 * 1024;
inline constexpr size_t kSendAttachmentNameBytesMax = 255;
inline constexpr size_t kAddressBytesMax = 254;  // RFC 5321 4.5.3.1.3 path, less the brackets
// The written message, attachments base64-encoded: what relays commonly accept (25 MB).
inline constexpr size_t kSendMessageBytesMax = 25 * 1000 * 1000;
// The JSON body of a send: the message's attachments in base64 (4/3) and the JSON around them.
inline constexpr size_t kSendBodyBytesMax = kSendMessageBytesMax / 3 * 4 + 64 * 1024;

// Directory search (GET /api/directory).
inline constexpr size_t kDirectoryResultsMax = 20;
inline constexpr size_t kDirectoryQueryBytesMax = 100;

// Mail jobs (reads, sends) queued off the loop per server; more answer 503.
inline constexpr size_t kMailJobsInFlightMax = 64;

}  // namespace lifeboat::webmail
