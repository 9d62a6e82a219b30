#pragma once
// GET /api/messages/<id>/html (webmail_contract.md): the message's body as a document for the
// message view's <iframe sandbox>, sanitized on the server (html_sanitizer.h) and served with
// its own policy, stricter than the UI's:
//   Content-Security-Policy  default-src 'none'; img-src data:; style-src 'unsafe-inline';
//                            base-uri 'none'; form-action 'none'; frame-ancestors 'self';
//                            sandbox allow-popups allow-popups-to-escape-sandbox
// so even markup the sanitizer let through by mistake could neither run a script (sandbox
// without allow-scripts), nor reach our origin (no allow-same-origin: an opaque origin without
// our cookies or storage), nor load anything from any host (default-src 'none'; images only as
// data: URIs, which the sanitizer made from the message's own cid: parts). Links open in a new
// tab (the popup escapes the sandbox, so the page it opens works normally) without a referrer.
//
// Who may read which message: MailboxReader keys messages by mailbox, and a user's mailbox id is
// their directory entry id (the session's user_id), so looking the id up in the session's own
// mailbox is the ownership check: another user's message id is "not found", answered 404, as the
// contract asks (not 403: we do not confirm it exists).

#include <string>
#include <string_view>

#include "appliance/env/status.h"
#include "modules/mailbox/mailbox_reader.h"
#include "modules/webmail/http_message.h"

namespace lifeboat::webmail {

inline constexpr std::string_view kMessageFrameContentSecurityPolicy =
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox";

// The raw bytes of message `message_id` if it is in `user_id`'s mailbox; NotFound otherwise (the
// message of another user included). Other errors (Corruption, IoError) as the reader gives them.
Result<std::string> ReadOwnedRawMessage(const mailbox::MailboxReader& reader,
                                        std::string_view user_id, std::string_view message_id);

// The 200 answer for a raw message: its sanitized HTML body (or its plain text body, escaped)
// with the frame's headers above. Pure; runs on a worker thread.
HttpResponse MessageHtmlResponse(std::string_view raw);

// The message id in "/api/messages/<id>/html", or "" when `path` is not of that form or the id
// is not printable ASCII without '/'.
std::string MessageHtmlPathId(std::string_view path);

}  // namespace lifeboat::webmail
