#pragma once
// The SMTP command table (STYLE.md rule 10; Postfix src/smtpd/smtpd.c smtpd_cmd_table): one row per
// verb with the flags that say how the session treats it, and the RFC section that defines it.

#include <cstdint>
#include <span>
#include <string_view>

namespace lifeboat::smtp {

enum class CommandId {
  kEhlo,
  kHelo,
  kMail,
  kRcpt,
  kData,
  kBdat,
  kRset,
  kNoop,
  kQuit,
  kVrfy,
  kHelp,
  kExpn,
  kStartTls
};

enum CommandFlag : uint32_t {
  // Counted against junk_commands_per_session_max (Postfix SMTPD_CMD_FLAG_LIMIT): cheap for the
  // client, costly to keep answering.
  kCommandFlagJunk = 1u << 0,
  // RFC 2920 3.1: can only be the last command of a pipelined group, so the replies gathered so
  // far are sent at once after it (the client waits for them).
  kCommandFlagFlushes = 1u << 1,
  // Takes no argument: anything after the verb is a 501 (RFC 5321 4.1.1.4, 4.1.1.5, 4.1.1.10).
  kCommandFlagNoArguments = 1u << 2,
  // Needs EHLO/HELO first (RFC 5321 4.1.4: "a client MUST issue HELO or EHLO before starting a
  // mail transaction").
  kCommandFlagNeedsHelo = 1u << 3,
};

struct CommandSpec {
  std::string_view verb;  // upper case; matched case-insensitively (RFC 5321 2.4)
  CommandId id;
  uint32_t flags;
  std::string_view reference;  // where the command is defined
};

std::span<const CommandSpec> CommandTable();
// nullptr for a verb we do not know (RFC 5321 4.2.4: 500).
const CommandSpec* FindCommand(std::string_view verb);

}  // namespace lifeboat::smtp
