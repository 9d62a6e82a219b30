#include "tests/integration/directory/smtp_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace lifeboat::directory::testing {

SmtpProbe::~SmtpProbe() {
  if (fd_ >= 0) ::close(fd_);
}

SmtpReply SmtpProbe::Connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return {};
  timeval timeout{kSmtpReplyTimeoutSeconds, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port_));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return {};
  return ReadReply();
}

bool SmtpProbe::SendAll(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

SmtpReply SmtpProbe::Command(const std::string& line) {
  if (fd_ < 0 || !SendAll(line + "\r\n")) return {};
  return ReadReply();
}

SmtpReply SmtpProbe::Data(const std::string& body) {
  if (fd_ < 0 || !SendAll(body + "\r\n.\r\n")) return {};
  return ReadReply();
}

// RFC 5321 4.2.1: "NNN-text" continues, "NNN text" (or "NNN") ends the reply.
SmtpReply SmtpProbe::ReadReply() {
  SmtpReply reply;
  for (;;) {
    size_t end = buffer_.find("\r\n");
    if (end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      reply.text += line + "\n";
      if (line.size() < 3) return SmtpReply{};
      if (line.size() == 3 || line[3] == ' ') {
        reply.code = std::atoi(line.substr(0, 3).c_str());
        return reply;
      }
      continue;
    }
    if (buffer_.size() > kSmtpReplyBytesMax) return SmtpReply{};
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return SmtpReply{0, reply.text + buffer_};
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

SmtpReply DeliverTo(int port, const std::string& recipient) {
  SmtpProbe smtp(port);
  SmtpReply reply = smtp.Connect();
  if (reply.code != 220) return reply;
  reply = smtp.Command("EHLO client.example.org");
  if (reply.code != 250) return reply;
  reply = smtp.Command("MAIL FROM:<sender@example.org>");
  if (reply.code != 250) return reply;
  reply = smtp.Command("RCPT TO:<" + recipient + ">");
  if (reply.code != 250) {
    smtp.Command("QUIT");
    return reply;
  }
  reply = smtp.Command("DATA");
  if (reply.code != 354) return reply;
  static std::atomic<int> sequence{0};
  reply = smtp.Data("From: <sender@example.org>\r\nTo: <" + recipient +
                    ">\r\nSubject: directory end to end\r\nMessage-ID: <e2e-" + recipient +
                    "@example.org>\r\n\r\nHello from the directory end-to-end test.");
  smtp.Command("QUIT");
  return reply;
}

}  // namespace lifeboat::directory::testing
