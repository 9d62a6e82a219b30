#include "modules/smtp/received_header.h"

#include <chrono>
#include <cstdio>

namespace lifeboat::smtp {
namespace {

// RFC 3848 2 and RFC 6531 3.7.3 "with" protocol names (no AUTH here, so no "A" forms).
std::string_view ProtocolName(const TraceFacts& facts) {
  bool tls = !facts.tls_version.empty();
  if (facts.smtputf8) return tls ? "UTF8SMTPS" : "UTF8SMTP";
  if (!facts.esmtp) return "SMTP";
  return tls ? "ESMTPS" : "ESMTP";
}

std::string AddressLiteral(std::string_view ip) {
  if (ip.find(':') != std::string_view::npos) return "[IPv6:" + std::string(ip) + "]";
  return "[" + std::string(ip) + "]";
}

}  // namespace

std::string FormatRfc5322Date(WallTime when) {
  using namespace std::chrono;
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  sys_time<microseconds> point{when};
  sys_days day = floor<days>(point);
  year_month_day ymd{day};
  hh_mm_ss<seconds> time{floor<seconds>(point - day)};
  weekday wd{day};
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%s, %02u %s %04d %02d:%02d:%02d +0000",
                kDays[wd.c_encoding()], static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return buffer;
}

std::string FormatReceivedHeader(const TraceFacts& facts) {
  // RFC 5321 4.4: Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time. Folded
  // with CRLF + TAB so no line nears the 1000-octet limit.
  std::string header = "Received: from ";
  header += facts.helo;
  header += " (" + AddressLiteral(facts.peer_ip) + ")\r\n";
  header += "\tby ";
  header += facts.hostname;
  header += " (Lifeboat) with ";
  header += ProtocolName(facts);
  if (!facts.tls_version.empty()) {
    header += " (";
    header += facts.tls_version;
    if (!facts.tls_cipher.empty()) {
      header += " with cipher ";
      header += facts.tls_cipher;
    }
    header += ")";
  }
  if (!facts.single_recipient.empty()) {
    header += "\r\n\tfor <";
    header += facts.single_recipient;
    header += ">";
  }
  header += "; " + FormatRfc5322Date(facts.when) + "\r\n";
  return header;
}

}  // namespace lifeboat::smtp
