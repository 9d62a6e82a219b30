#pragma once
// A minimal SMTP client over a plain blocking socket (RFC 5321), for the end-to-end directory
// tests: it asks the node whether a recipient is accepted and, when it is, sends a small message.
// Replies are read per RFC 5321 4.2.1 (multi-line replies repeat the code with '-' until the last
// line); every read is bounded by kSmtpReplyTimeoutSeconds.

#include <string>

namespace lifeboat::directory::testing {

inline constexpr int kSmtpReplyTimeoutSeconds = 15;
inline constexpr size_t kSmtpReplyBytesMax = 64 * 1024;

struct SmtpReply {
  int code = 0;      // 0: no reply (connection refused, closed or timed out)
  std::string text;  // all lines, as received
};

class SmtpProbe {
 public:
  explicit SmtpProbe(int port) : port_(port) {}
  ~SmtpProbe();
  SmtpProbe(const SmtpProbe&) = delete;
  SmtpProbe& operator=(const SmtpProbe&) = delete;

  // Connects and reads the greeting.
  SmtpReply Connect();
  // Sends one command line (CRLF added) and reads its reply.
  SmtpReply Command(const std::string& line);
  // Sends `body` (dot-stuffing is the caller's: keep lines free of a leading '.') and the
  // terminating ".", reads the final reply.
  SmtpReply Data(const std::string& body);

 private:
  SmtpReply ReadReply();
  bool SendAll(const std::string& bytes);

  int port_;
  int fd_ = -1;
  std::string buffer_;
};

// One session: EHLO, MAIL, RCPT `recipient`; when RCPT is accepted, DATA and a short message.
// Returns the RCPT reply when it was refused, else the reply to the end of DATA.
SmtpReply DeliverTo(int port, const std::string& recipient);

}  // namespace lifeboat::directory::testing
