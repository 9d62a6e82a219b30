#pragma once
// Strict RFC 5321 4.1.2 parsing of the paths in MAIL FROM and RCPT TO, with the RFC 6531 3.3
// extension (UTF-8 in local parts and domains) reported so the session can require SMTPUTF8.
//
//   Path         = "<" [ A-d-l ":" ] Mailbox ">"
//   A-d-l        = At-domain *( "," At-domain )       ; source route, RFC 5321 4.1.2, App. C
//   Mailbox      = Local-part "@" ( Domain / address-literal )
//   Local-part   = Dot-string / Quoted-string
//   Domain       = sub-domain *("." sub-domain)
//   address-literal = "[" ( IPv4 / "IPv6:" IPv6 / Standardized-tag ":" 1*dcontent ) "]"

#include <string>
#include <string_view>

#include "appliance/env/status.h"

namespace lifeboat::smtp {

// RFC 5321 4.5.3.1.1-3 size limits, in octets.
inline constexpr size_t kSmtpLocalPartBytesMax = 64;
inline constexpr size_t kSmtpDomainBytesMax = 255;
inline constexpr size_t kSmtpPathBytesMax = 256;

struct Mailbox {
  std::string local_part;  // as written, quotes and backslashes included when quoted
  std::string domain;      // a Domain or an address literal with its brackets
  bool local_part_quoted = false;
  bool domain_is_literal = false;
  bool has_non_ascii = false;  // RFC 6531: only allowed with the SMTPUTF8 parameter

  std::string Address() const { return local_part + "@" + domain; }
  // The local part with quoting removed ("a\"b" -> a"b): what routing characters hide in.
  std::string UnquotedLocalPart() const;
  // The address with needless quoting removed ("alice"@d -> alice@d): RFC 5321 4.1.2 asks
  // senders for the simplest form, and both name the same mailbox. Quotes that are needed stay.
  std::string CanonicalAddress() const;
};

struct Path {
  bool is_null = false;             // "<>": the null reverse-path (RFC 5321 4.5.5)
  bool is_bare_postmaster = false;  // "<Postmaster>", RFC 5321 4.1.1.3 and 4.5.1
  std::string source_route;         // the A-d-l, without the trailing ":" ("" when absent)
  Mailbox mailbox;
};

// Why a path did not parse. kEmbeddedAt is its own kind: "u@ext@ours" is a syntax error under the
// grammar but is also the oldest relay trick, and the RCPT policy answers it as such.
enum class PathError {
  kSyntax,
  kTooLong,
  kEmbeddedAt,
};

struct PathParse {
  // On success `path` is set and `rest` is what follows the ">" (the parameters, with their
  // leading space if any).
  bool ok = false;
  PathError error = PathError::kSyntax;
  Path path;
  std::string_view rest;
};

// Parses a path at the start of `text` ("<...>..."). `allow_null` accepts "<>" (reverse-path);
// `allow_bare_postmaster` accepts "<Postmaster>" without a domain (forward-path only).
PathParse ParsePath(std::string_view text, bool allow_null, bool allow_bare_postmaster);

// RFC 5321 4.1.2 Dot-string: atoms of atext (RFC 5322 3.2.3; RFC 6531 3.3 adds UTF-8, which the
// caller refuses when it must be ASCII) separated by single dots.
bool IsDotString(std::string_view text);
// RFC 5321 4.1.2 Domain; also used for the EHLO/HELO argument.
bool IsValidDomain(std::string_view domain, bool allow_utf8);
// RFC 5321 4.1.3 address literal, brackets included: "[192.0.2.1]", "[IPv6:2001:db8::1]".
bool IsValidAddressLiteral(std::string_view literal);
// Well-formed UTF-8 (RFC 3629), used before accepting non-ASCII octets.
bool IsValidUtf8(std::string_view text);

}  // namespace lifeboat::smtp
