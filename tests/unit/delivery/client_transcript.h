#pragma once
// Drives an SmtpClient through a scripted server and writes down everything as one transcript
// (the golden-transcript manner of tests/unit/smtp, STYLE.md rule 10):
//   S: a line the server sent          C: a line the client sent
//   > an action or input that is not bytes ("> start tls", "> deadline +300s", "> done ...")
// Every byte the client sends is checked on the way: a bare CR or LF fails the test.

#include <string>
#include <string_view>

#include "modules/delivery/smtp_client.h"

namespace lifeboat::delivery::testing {

class ClientTranscript {
 public:
  explicit ClientTranscript(const ClientConfig& config);

  void Start();
  // The server sends `bytes` (several lines, CRLF ended, in one read).
  void Server(std::string_view bytes);
  void Send(Envelope envelope);
  void TlsEstablished();
  void TlsFailed(std::string_view reason);
  // Time jumps to the armed deadline and the timer fires.
  void DeadlinePasses();
  void ConnectionClosed();
  void Quit();

  const std::string& text() const { return text_; }
  SmtpClient& client() { return client_; }

 private:
  void Drain();
  void Note(std::string_view line);

  SmtpClient client_;
  MonoTime now_{0};
  MonoTime deadline_{0};
  std::string text_;
};

// Compares `text` with transcripts/<name>.ref beside this file (a gtest failure shows both).
// With LIFEBOAT_UPDATE_TRANSCRIPTS=1 in the environment it writes the file instead: review the
// diff before committing it, the file is the specification.
void ExpectTranscript(std::string_view name, const std::string& text);

}  // namespace lifeboat::delivery::testing
