#pragma once
// Every limit the SMTP session enforces, as a named constant with its unit last (STYLE.md rule 8),
// and the SessionLimits struct the driver fills from configuration (defaults are the constants).

#include <chrono>
#include <cstdint>

#include "appliance/env/env.h"

namespace lifeboat::smtp {

using std::chrono_literals::operator""min;

// RFC 5321 4.5.3.1.4: a command line is at most 512 octets including the command word and CRLF.
inline constexpr size_t kSmtpCommandLineBytesMax = 512;
// RFC 5321 4.5.3.1.6: a text line of message content is at most 1000 octets including CRLF.
inline constexpr size_t kSmtpTextLineBytesMax = 1000;
// RFC 5321 4.5.3.1.8: a server must accept at least 100 recipients per message.
inline constexpr size_t kSmtpRecipientsPerMessageMax = 100;
// Advertised in EHLO "SIZE" (RFC 1870); counted after dot-unstuffing, before the trace header.
inline constexpr uint64_t kSmtpMessageBytesMax = 50ull * 1024 * 1024;
// Postfix smtpd_hard_error_limit: after this many 4xx/5xx replies the session is dropped.
inline constexpr uint32_t kSmtpErrorsPerSessionMax = 20;
// Every command counts; a session that delivers many messages still fits comfortably.
inline constexpr uint32_t kSmtpCommandsPerSessionMax = 10'000;
// Postfix smtpd_junk_command_limit: NOOP, RSET, VRFY, HELP cost nothing to send but keep a
// session open, so they have their own, smaller budget.
inline constexpr uint32_t kSmtpJunkCommandsPerSessionMax = 100;
// Input the session holds while it does not read (waiting for a commit or the TLS handshake).
// A pipelining client sends at most one group ahead (RFC 2920 3.1); more is abuse.
inline constexpr size_t kSmtpPendingInputBytesMax = 64 * 1024;

// RFC 5321 4.5.3.2 timeouts. The server side is 4.5.3.2.7 ("at least 5 minutes while it is
// awaiting the next command"); the others are the client's waits, which our replies must beat.
inline constexpr Duration kSmtpInitialTimeout = 5min;           // 4.5.3.2.1: greeting to command
inline constexpr Duration kSmtpMailTimeout = 5min;              // 4.5.3.2.2: client waits for MAIL
inline constexpr Duration kSmtpRcptTimeout = 5min;              // 4.5.3.2.3
inline constexpr Duration kSmtpDataInitiationTimeout = 2min;    // 4.5.3.2.4: waits for 354
inline constexpr Duration kSmtpDataBlockTimeout = 3min;         // 4.5.3.2.5: between data blocks
inline constexpr Duration kSmtpDataTerminationTimeout = 10min;  // 4.5.3.2.6: waits for 250
inline constexpr Duration kSmtpServerIdleTimeout = 5min;        // 4.5.3.2.7
// The commit (replication + fsync) must be answered before the client's DATA termination wait
// ends, or the client retries a message we may also have stored (a duplicate, never a loss).
inline constexpr Duration kSmtpCommitReplyTimeout = kSmtpDataTerminationTimeout - 1min;
static_assert(kSmtpCommitReplyTimeout < kSmtpDataTerminationTimeout);

struct SessionLimits {
  size_t command_line_bytes_max = kSmtpCommandLineBytesMax;
  size_t text_line_bytes_max = kSmtpTextLineBytesMax;
  size_t recipients_per_message_max = kSmtpRecipientsPerMessageMax;
  uint64_t message_bytes_max = kSmtpMessageBytesMax;
  uint32_t errors_per_session_max = kSmtpErrorsPerSessionMax;
  uint32_t commands_per_session_max = kSmtpCommandsPerSessionMax;
  uint32_t junk_commands_per_session_max = kSmtpJunkCommandsPerSessionMax;
  size_t pending_input_bytes_max = kSmtpPendingInputBytesMax;
  Duration initial_timeout = kSmtpInitialTimeout;
  Duration server_idle_timeout = kSmtpServerIdleTimeout;
  Duration data_block_timeout = kSmtpDataBlockTimeout;
  Duration commit_reply_timeout = kSmtpCommitReplyTimeout;
};

}  // namespace lifeboat::smtp
