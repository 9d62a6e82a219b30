#include "modules/delivery/dsn.h"

#include <ctime>

namespace lifeboat::delivery {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// "d.d{1,3}.d{1,3}" at the start of `text` (RFC 3463 2), or "".
std::string LeadingEnhancedCode(std::string_view text) {
  size_t i = 0;
  if (i >= text.size() || (text[i] != '2' && text[i] != '4' && text[i] != '5')) return "";
  ++i;
  for (int part = 0; part < 2; ++part) {
    if (i >= text.size() || text[i] != '.') return "";
    ++i;
    size_t digits = 0;
    while (i < text.size() && IsDigit(text[i]) && digits < 3) ++i, ++digits;
    if (digits == 0) return "";
  }
  if (i < text.size() && text[i] != ' ') return "";
  return std::string(text.substr(0, i));
}

bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// The header section of `content` (up to the first empty line), CRLF lines, cut at a line end
// before kDsnOriginalHeadersBytesMax.
std::string OriginalHeaders(std::string_view content) {
  std::string headers;
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    std::string_view line =
        content.substr(start, end == std::string_view::npos ? end : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (headers.size() + line.size() + 2 > kDsnOriginalHeadersBytesMax) break;
    headers.append(line);
    headers += "\r\n";
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return headers;
}

std::string_view ActionText(const DsnRecipient& recipient) {
  return recipient.expired ? "could not be delivered in time" : "was refused";
}

}  // namespace

std::string DsnStatus(const DsnRecipient& recipient) {
  if (recipient.expired) return "5.4.7";
  std::string_view text = recipient.diagnostic;
  if (text.size() > 4 && IsDigit(text[0]) && IsDigit(text[1]) && IsDigit(text[2]) &&
      text[3] == ' ') {
    text.remove_prefix(4);
  }
  std::string code = LeadingEnhancedCode(text);
  if (!code.empty() && code[0] == '5') return code;
  return "5.0.0";
}

std::string FormatDate(WallTime time) {
  std::time_t seconds =
      static_cast<std::time_t>(std::chrono::duration_cast<std::chrono::seconds>(time).count());
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  size_t length = std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return std::string(buffer, length);
}

Result<DsnMessage> BuildDsn(const DsnRequest& request) {
  if (request.original_sender.empty()) {
    return Status::FailedPrecondition("no DSN for a mail from the null reverse-path");
  }
  if (request.recipients.empty()) return Status::InvalidArgument("a DSN needs a recipient");
  for (std::string_view value :
       {std::string_view(request.reporting_host), std::string_view(request.dsn_id),
        std::string_view(request.original_sender)}) {
    if (value.empty() || HasLineBreak(value) || value.find(' ') != std::string_view::npos) {
      return Status::InvalidArgument("DSN header value empty or with a space or line break");
    }
  }
  const std::string& host = request.reporting_host;
  const std::string boundary = request.dsn_id + "/" + host;
  std::string m;
  m += "From: Mail Delivery System <MAILER-DAEMON@" + host + ">\r\n";
  m += "To: <" + request.original_sender + ">\r\n";
  m += "Subject: Undelivered Mail Returned to Sender\r\n";
  m += "Date: " + FormatDate(request.now) + "\r\n";
  m += "Message-ID: <" + request.dsn_id + "@" + host + ">\r\n";
  m += "Auto-Submitted: auto-replied\r\n";  // RFC 3834 5: no automatic reply to this
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=delivery-status;\r\n";
  m += "\tboundary=\"" + boundary + "\"\r\n";
  m += "\r\n";
  m += "This is a MIME-encapsulated message.\r\n\r\n";

  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
  m += "This is the mail system at host " + host + ".\r\n\r\n";
  m += "Your message could not be delivered to one or more recipients.\r\n\r\n";
  for (const DsnRecipient& recipient : request.recipients) {
    if (HasLineBreak(recipient.recipient) || HasLineBreak(recipient.diagnostic) ||
        HasLineBreak(recipient.remote_mta)) {
      return Status::InvalidArgument("DSN recipient field with a line break");
    }
    m += "<" + recipient.recipient + ">: " + std::string(ActionText(recipient)) + "\r\n";
    m += "    " + recipient.diagnostic.substr(0, kDsnDiagnosticBytesMax) + "\r\n";
  }
  m += "\r\n";

  m += "--" + boundary + "\r\n";
  m += "Content-Type: message/delivery-status\r\n\r\n";
  // RFC 3464 2.2: per-message fields, then one block per recipient (2.3).
  m += "Reporting-MTA: dns; " + host + "\r\n";
  m += "Arrival-Date: " + FormatDate(request.arrival) + "\r\n";
  for (const DsnRecipient& recipient : request.recipients) {
    m += "\r\n";
    m += "Final-Recipient: rfc822; " + recipient.recipient + "\r\n";
    m += "Action: failed\r\n";
    m += "Status: " + DsnStatus(recipient) + "\r\n";
    if (!recipient.remote_mta.empty()) m += "Remote-MTA: dns; " + recipient.remote_mta + "\r\n";
    if (recipient.smtp_code != 0) {
      m += "Diagnostic-Code: smtp; " + recipient.diagnostic.substr(0, kDsnDiagnosticBytesMax) +
           "\r\n";
    }
    m += "Last-Attempt-Date: " + FormatDate(recipient.last_attempt) + "\r\n";
  }
  m += "\r\n";

  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/rfc822-headers\r\n\r\n";
  m += OriginalHeaders(request.original_content);
  m += "\r\n";
  m += "--" + boundary + "--\r\n";

  DsnMessage dsn;
  dsn.rcpt_to.push_back(request.original_sender);
  dsn.content = std::move(m);
  return dsn;
}

}  // namespace lifeboat::delivery
