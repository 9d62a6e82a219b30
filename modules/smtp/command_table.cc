#include "modules/smtp/command_table.h"

#include <cctype>

#include "modules/ascii/ascii_case.h"

namespace lifeboat::smtp {
namespace {

constexpr CommandSpec kCommands[] = {
    // "EHLO" SP ( Domain / address-literal ) CRLF. Resets the transaction (4.1.4).
    {"EHLO", CommandId::kEhlo, kCommandFlagJunk | kCommandFlagFlushes, "RFC 5321 4.1.1.1"},
    {"HELO", CommandId::kHelo, kCommandFlagJunk, "RFC 5321 4.1.1.1"},
    // "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
    {"MAIL", CommandId::kMail, kCommandFlagNeedsHelo, "RFC 5321 4.1.1.2"},
    // "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters]
    {"RCPT", CommandId::kRcpt, kCommandFlagNeedsHelo, "RFC 5321 4.1.1.3"},
    // "DATA" CRLF; content ends with CRLF "." CRLF (4.1.1.4, dot-stuffing 4.5.2).
    {"DATA", CommandId::kData,
     kCommandFlagNeedsHelo | kCommandFlagNoArguments | kCommandFlagFlushes, "RFC 5321 4.1.1.4"},
    // "BDAT" SP chunk-size [SP "LAST"] CRLF, then exactly chunk-size octets. May be pipelined.
    {"BDAT", CommandId::kBdat, 0, "RFC 3030 2"},
    // "RSET" CRLF: abort the transaction, keep the session.
    {"RSET", CommandId::kRset, kCommandFlagJunk | kCommandFlagNoArguments, "RFC 5321 4.1.1.5"},
    // "NOOP" [ SP String ] CRLF: the argument is ignored.
    {"NOOP", CommandId::kNoop, kCommandFlagJunk | kCommandFlagFlushes, "RFC 5321 4.1.1.9"},
    // "QUIT" CRLF: 221, then close.
    {"QUIT", CommandId::kQuit, kCommandFlagNoArguments | kCommandFlagFlushes, "RFC 5321 4.1.1.10"},
    // "VRFY" SP String CRLF: 252, we neither confirm nor deny addresses (3.5.3, 7.3).
    {"VRFY", CommandId::kVrfy, kCommandFlagJunk | kCommandFlagFlushes, "RFC 5321 4.1.1.6"},
    // "HELP" [ SP String ] CRLF
    {"HELP", CommandId::kHelp, kCommandFlagJunk, "RFC 5321 4.1.1.8"},
    // "EXPN" SP String CRLF: list expansion would hand out the members of our groups, so it is
    // switched off (3.5.2, 7.3) and answered 502 (4.2.4), as Postfix does with its EXPN disabled.
    {"EXPN", CommandId::kExpn, kCommandFlagJunk | kCommandFlagFlushes, "RFC 5321 4.1.1.7"},
    // "STARTTLS" CRLF; 220, then the TLS handshake; everything before it is forgotten (4.2).
    {"STARTTLS", CommandId::kStartTls, kCommandFlagNoArguments | kCommandFlagFlushes, "RFC 3207 4"},
};

}  // namespace

std::span<const CommandSpec> CommandTable() {
  return kCommands;
}

const CommandSpec* FindCommand(std::string_view verb) {
  for (const CommandSpec& spec : kCommands) {
    if (ascii::EqualsIgnoreCase(verb, spec.verb)) return &spec;
  }
  return nullptr;
}

}  // namespace lifeboat::smtp
