#include "modules/smtp/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "modules/ascii/ascii_case.h"

namespace lifeboat::smtp {
namespace {

bool IsAlpha(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool IsDigit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool IsNonAscii(unsigned char c) {
  return c >= 0x80;
}

// RFC 5322 3.2.3 atext, as RFC 5321 4.1.2 uses it; RFC 6531 3.3 adds UTF8-non-ascii.
bool IsAtext(unsigned char c) {
  // c != 0: strchr would find the string's own terminator.
  return IsAlpha(c) || IsDigit(c) || IsNonAscii(c) ||
         (c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr);
}

// RFC 5321 4.1.2 qtextSMTP = %d32-33 / %d35-91 / %d93-126 (RFC 6531 adds UTF8-non-ascii).
bool IsQtext(unsigned char c) {
  return c == 32 || c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126) || IsNonAscii(c);
}

// Dot-string = Atom *("." Atom); returns its length at the start of `text`, 0 if none.
size_t ScanDotString(std::string_view text) {
  size_t i = 0;
  while (true) {
    size_t atom_start = i;
    while (i < text.size() && IsAtext(static_cast<unsigned char>(text[i]))) ++i;
    if (i == atom_start) return 0;  // empty atom: leading, trailing or doubled dot
    if (i < text.size() && text[i] == '.') {
      ++i;
      continue;
    }
    return i;
  }
}

// Quoted-string = DQUOTE *QcontentSMTP DQUOTE; returns its length including quotes, 0 if bad.
size_t ScanQuotedString(std::string_view text) {
  if (text.empty() || text[0] != '"') return 0;
  size_t i = 1;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"') return i + 1;
    if (c == '\\') {
      // quoted-pairSMTP = %d92 %d32-126
      if (i + 1 >= text.size()) return 0;
      unsigned char next = static_cast<unsigned char>(text[i + 1]);
      if (next < 32 || next > 126) return 0;
      i += 2;
      continue;
    }
    if (!IsQtext(c)) return 0;
    ++i;
  }
  return 0;
}

// Index of the ">" that closes the path opened at text[0], skipping quoted strings.
size_t FindPathEnd(std::string_view text) {
  bool quoted = false;
  for (size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

bool IsValidIpv4(std::string_view text) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    int value = 0;
    while (i < text.size() && IsDigit(static_cast<unsigned char>(text[i])) && i - start < 3) {
      value = value * 10 + (text[i] - '0');
      ++i;
    }
    if (i == start || value > 255) return false;  // Snum = 1*3DIGIT, 0-255
    ++parts;
    if (i == text.size()) return parts == 4;
    if (text[i] != '.' || parts == 4) return false;
    ++i;
  }
}

PathParse Fail(PathError error) {
  PathParse result;
  result.error = error;
  return result;
}

// A-d-l = At-domain *( "," At-domain ); At-domain = "@" Domain.
bool IsValidSourceRoute(std::string_view route) {
  size_t start = 0;
  while (start <= route.size()) {
    size_t comma = route.find(',', start);
    std::string_view at_domain =
        route.substr(start, comma == std::string_view::npos ? route.npos : comma - start);
    if (at_domain.size() < 2 || at_domain[0] != '@') return false;
    if (!IsValidDomain(at_domain.substr(1), true)) return false;
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
  return false;
}

}  // namespace

std::string Mailbox::UnquotedLocalPart() const {
  if (!local_part_quoted) return local_part;
  std::string out;
  for (size_t i = 1; i + 1 < local_part.size(); ++i) {
    if (local_part[i] == '\\' && i + 2 < local_part.size()) ++i;
    out += local_part[i];
  }
  return out;
}

std::string Mailbox::CanonicalAddress() const {
  if (!local_part_quoted) return Address();
  std::string unquoted = UnquotedLocalPart();
  if (IsDotString(unquoted)) {
    return unquoted + "@" + domain;
  }
  return Address();
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t extra;
    uint32_t min;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      min = 0x10000;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    uint32_t code = c & (0x3F >> extra);
    for (size_t k = 1; k <= extra; ++k) {
      unsigned char cont = static_cast<unsigned char>(text[i + k]);
      if ((cont & 0xC0) != 0x80) return false;
      code = (code << 6) | (cont & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8 (RFC 3629 3).
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

bool IsDotString(std::string_view text) {
  return !text.empty() && ScanDotString(text) == text.size();
}

bool IsValidDomain(std::string_view domain, bool allow_utf8) {
  if (domain.empty() || domain.size() > kSmtpDomainBytesMax) return false;
  auto is_let_dig = [allow_utf8](unsigned char c) {
    return IsAlpha(c) || IsDigit(c) || (allow_utf8 && IsNonAscii(c));
  };
  size_t start = 0;
  while (true) {
    size_t dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? domain.npos : dot - start);
    // sub-domain = Let-dig [Ldh-str]; Ldh-str ends in Let-dig. 63 octets: RFC 1035 2.3.4.
    if (label.empty() || label.size() > 63) return false;
    if (!is_let_dig(label.front()) || !is_let_dig(label.back())) return false;
    for (unsigned char c : label) {
      if (!is_let_dig(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return !allow_utf8 || IsValidUtf8(domain);
}

bool IsValidAddressLiteral(std::string_view literal) {
  if (literal.size() < 3 || literal.front() != '[' || literal.back() != ']') return false;
  std::string_view inner = literal.substr(1, literal.size() - 2);
  constexpr std::string_view kIpv6Tag = "IPv6:";
  if (inner.size() > kIpv6Tag.size() &&
      ascii::EqualsIgnoreCase(inner.substr(0, kIpv6Tag.size()), kIpv6Tag)) {
    std::string address(inner.substr(kIpv6Tag.size()));
    unsigned char buffer[16];
    return inet_pton(AF_INET6, address.c_str(), buffer) == 1;
  }
  // General-address-literal needs an IANA-registered Standardized-tag (RFC 5321 4.1.3); none
  // besides IPv6 exists, so anything else is refused.
  return IsValidIpv4(inner);
}

PathParse ParsePath(std::string_view text, bool allow_null, bool allow_bare_postmaster) {
  if (text.empty() || text[0] != '<') return Fail(PathError::kSyntax);
  if (allow_null && text.substr(0, 2) == "<>") {
    PathParse result;
    result.ok = true;
    result.path.is_null = true;
    result.rest = text.substr(2);
    return result;
  }
  size_t end = FindPathEnd(text);
  if (end == std::string_view::npos) return Fail(PathError::kSyntax);
  if (end + 1 > kSmtpPathBytesMax) return Fail(PathError::kTooLong);
  std::string_view inner = text.substr(1, end - 1);
  PathParse result;
  result.rest = text.substr(end + 1);
  Path& path = result.path;
  if (allow_bare_postmaster && ascii::EqualsIgnoreCase(inner, "postmaster")) {
    path.is_bare_postmaster = true;
    path.mailbox.local_part = std::string(inner);
    result.ok = true;
    return result;
  }
  if (!inner.empty() && inner[0] == '@') {
    size_t colon = inner.find(':');
    if (colon == std::string_view::npos) return Fail(PathError::kSyntax);
    if (!IsValidSourceRoute(inner.substr(0, colon))) return Fail(PathError::kSyntax);
    path.source_route = std::string(inner.substr(0, colon));
    inner = inner.substr(colon + 1);
  }
  Mailbox& mailbox = path.mailbox;
  size_t local_size;
  if (!inner.empty() && inner[0] == '"') {
    local_size = ScanQuotedString(inner);
    mailbox.local_part_quoted = true;
  } else {
    local_size = ScanDotString(inner);
  }
  if (local_size == 0) return Fail(PathError::kSyntax);
  if (local_size >= inner.size() || inner[local_size] != '@') return Fail(PathError::kSyntax);
  std::string_view domain = inner.substr(local_size + 1);
  if (domain.find('@') != std::string_view::npos) return Fail(PathError::kEmbeddedAt);
  if (local_size > kSmtpLocalPartBytesMax) return Fail(PathError::kTooLong);
  if (domain.size() > kSmtpDomainBytesMax) return Fail(PathError::kTooLong);
  mailbox.has_non_ascii = std::any_of(
      inner.begin(), inner.end(), [](char c) { return IsNonAscii(static_cast<unsigned char>(c)); });
  if (mailbox.has_non_ascii && !IsValidUtf8(inner)) return Fail(PathError::kSyntax);
  if (!domain.empty() && domain[0] == '[') {
    if (!IsValidAddressLiteral(domain)) return Fail(PathError::kSyntax);
    mailbox.domain_is_literal = true;
  } else if (!IsValidDomain(domain, true)) {
    return Fail(PathError::kSyntax);
  }
  mailbox.local_part = std::string(inner.substr(0, local_size));
  mailbox.domain = std::string(domain);
  result.ok = true;
  return result;
}

}  // namespace lifeboat::smtp
