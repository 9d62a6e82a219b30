#include "modules/webmail/attachment_disposition.h"

#include <array>

#include "modules/ascii/ascii_case.h"

namespace lifeboat::webmail {
namespace {

// Types a browser shows without running anything of the sender's.
constexpr std::array<std::string_view, 11> kPassiveTypes = {
    "image/png",  "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
    "audio/mpeg", "audio/ogg",  "video/mp4", "video/webm", "text/csv"};

// Drops a cut UTF-8 sequence at the end.
void TrimPartialUtf8(std::string& text) {
  size_t end = text.size();
  size_t start = end;
  while (start > 0 && (static_cast<unsigned char>(text[start - 1]) & 0xC0) == 0x80) --start;
  if (start == 0) return;
  unsigned char lead = static_cast<unsigned char>(text[start - 1]);
  size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (end - (start - 1) < length) text.resize(start - 1);
}

// RFC 8187 3.2.1 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_"
// / "`" / "|" / "~"; everything else is %XX.
std::string ExtValue(std::string_view utf8) {
  static constexpr std::string_view kAttrPunctuation = "!#$&+-.^_`|~";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "UTF-8''";
  for (unsigned char c : utf8) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 kAttrPunctuation.find(static_cast<char>(c)) != std::string_view::npos;
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

// The quoted-string fallback: printable ASCII without '"', '\\' and '%' (which some browsers
// decode), the rest as '_'.
std::string AsciiFallback(std::string_view utf8) {
  std::string out;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) == 0x80) continue;  // one '_' per non-ASCII character
    bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%';
    out.push_back(plain ? static_cast<char>(c) : '_');
  }
  return out;
}

}  // namespace

std::string SafeDownloadName(std::string_view name) {
  // Path information, whatever the separator the sender's system used.
  size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) continue;
    out.push_back(static_cast<char>(c));
  }
  // No hidden file, no "..", no name that ends in a space or a dot (Windows drops them).
  size_t first = out.find_first_not_of(". ");
  out.erase(0, first == std::string::npos ? out.size() : first);
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  if (out.size() > kDownloadNameBytesMax) {
    out.resize(kDownloadNameBytesMax);
    TrimPartialUtf8(out);
  }
  return out.empty() ? "attachment" : out;
}

void SetAttachmentHeaders(HttpResponse& response, std::string_view name,
                          std::string_view content_type) {
  std::string safe = SafeDownloadName(name);
  response.SetHeader("Content-Disposition", "attachment; filename=\"" + AsciiFallback(safe) +
                                                "\"; filename*=" + ExtValue(safe));
  std::string type = ascii::Lower(content_type);
  bool passive = false;
  for (std::string_view candidate : kPassiveTypes) passive = passive || candidate == type;
  response.SetHeader("Content-Type", passive ? type : "application/octet-stream");
  response.SetHeader("Content-Security-Policy", "default-src 'none'; sandbox");
}

}  // namespace lifeboat::webmail
