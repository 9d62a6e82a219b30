#include "modules/webmail/message_html.h"

#include "modules/mailbox/display_body.h"
#include "modules/webmail/html_sanitizer.h"
#include "modules/webmail/security_headers.h"

namespace lifeboat::webmail {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> ReadOwnedRawMessage(const mailbox::MailboxReader& reader,
                                        std::string_view user_id, std::string_view message_id) {
  if (user_id.empty() || message_id.empty()) return Status::NotFound("no such message");
  auto entry = reader.GetMessage(user_id, message_id);
  if (!entry.ok()) return entry.status();
  return reader.GetRawMessage(user_id, message_id);
}

HttpResponse MessageHtmlResponse(std::string_view raw) {
  mailbox::DisplayBody body = mailbox::ReadDisplayBody(raw);
  HttpResponse response;
  response.SetHeader("Content-Type", "text/html; charset=utf-8");
  if (!body.html.empty()) {
    response.body = SanitizeHtml(body.html, body.inline_images).html;
  } else {
    response.body = PlainTextDocument(body.text);
  }
  AddSecurityHeaders(response);
  response.SetHeader("Content-Security-Policy", kMessageFrameContentSecurityPolicy);
  // Our own page frames it; no one else may (frame-ancestors 'self' for CSP 2 browsers).
  response.SetHeader("X-Frame-Options", "SAMEORIGIN");
  return response;
}

std::string MessageHtmlPathId(std::string_view path) {
  constexpr std::string_view kPrefix = "/api/messages/";
  constexpr std::string_view kSuffix = "/html";
  if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix)) return "";
  if (path.size() <= kPrefix.size() + kSuffix.size()) return "";
  std::string_view encoded =
      path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  // The UI sends encodeURIComponent(id): undo percent-encoding (RFC 3986 2.1).
  std::string id;
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '%') {
      if (i + 2 >= encoded.size()) return "";
      int high = HexValue(encoded[i + 1]);
      int low = HexValue(encoded[i + 2]);
      if (high < 0 || low < 0) return "";
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || byte == '/') return "";
    id.push_back(c);
  }
  return id;
}

}  // namespace lifeboat::webmail
