#pragma once
// Delivery status notifications (RFC 3464) for mail that could not be delivered: a 5xx from the
// primary, or temporary failures past the maximum age. The DSN is a multipart/report
// (RFC 6522) with a human part, the message/delivery-status part and the original headers
// (text/rfc822-headers), sent from the null reverse-path to the original sender.
//
// Pure: the caller hands in the time, the ids and the host name; the bytes are the same for the
// same input.

#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/status.h"

namespace lifeboat::delivery {

// The returned headers are cut after this many bytes: a DSN carries the headers, not the mail
// (RFC 3462 / 6522 text/rfc822-headers), and a mail with megabytes of headers must not make one
// of that size.
inline constexpr size_t kDsnOriginalHeadersBytesMax = 64 * 1024;
// A Diagnostic-Code longer than this is cut: the DSN's lines must stay under RFC 5322's 998.
inline constexpr size_t kDsnDiagnosticBytesMax = 800;

struct DsnRecipient {
  std::string recipient;   // the forward-path as we tried it
  int smtp_code = 0;       // the primary's last reply code; 0 when no reply
  std::string diagnostic;  // the primary's last reply ("550 5.1.1 no such user") or what happened
  bool expired = false;    // temporary failures until the maximum age
  std::string remote_mta;  // "mx.corp.test" ("" when no server answered)
  WallTime last_attempt{0};
};

struct DsnRequest {
  std::string reporting_host;            // our host name: Reporting-MTA, From, Message-ID
  std::string dsn_id;                    // unique: Message-ID local part and MIME boundary
  std::string original_sender;           // the reverse-path of the failed mail
  WallTime arrival{0};                   // when we received it
  WallTime now{0};                       // Date of the DSN
  std::string original_content;          // the failed message (its headers are returned)
  std::vector<DsnRecipient> recipients;  // at least one
};

struct DsnMessage {
  std::string mail_from;             // always "": a DSN is sent from the null reverse-path
  std::vector<std::string> rcpt_to;  // the original sender
  std::string content;               // CRLF lines
};

// FailedPrecondition when the original sender is the null reverse-path (RFC 5321 4.5.5: never a
// notification about a notification); InvalidArgument without recipients or with CR or LF in a
// header value.
Result<DsnMessage> BuildDsn(const DsnRequest& request);

// The RFC 3463 status for a recipient: the enhanced code of its reply when it has one, else
// 5.0.0 for a 5xx; 5.4.7 (delivery time expired, RFC 3463 3.5) for an expired one.
std::string DsnStatus(const DsnRecipient& recipient);

// "Mon, 07 Dec 2026 16:20:00 +0000" (RFC 5322 3.3), in UTC.
std::string FormatDate(WallTime time);

}  // namespace lifeboat::delivery
