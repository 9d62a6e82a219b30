#include "tests/unit/delivery/client_transcript.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace lifeboat::delivery::testing {
namespace {

std::string_view OutcomeName(RecipientOutcome outcome) {
  switch (outcome) {
    case RecipientOutcome::kDelivered:
      return "delivered";
    case RecipientOutcome::kRetry:
      return "retry";
    case RecipientOutcome::kBounce:
      return "bounce";
  }
  return "?";
}

// Splits wire bytes into lines; every line must end with CRLF and hold no other CR or LF.
void AppendLines(std::string& text, std::string_view prefix, std::string_view bytes) {
  size_t start = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find("\r\n", start);
    ASSERT_NE(end, std::string_view::npos) << "unterminated line: " << bytes.substr(start);
    std::string_view line = bytes.substr(start, end - start);
    ASSERT_EQ(line.find_first_of("\r\n"), std::string_view::npos) << "bare CR or LF: " << line;
    text += prefix;
    text += line;
    text += '\n';
    start = end + 2;
  }
}

// Server lines may hold anything: control bytes are shown as \xNN.
std::string Printable(std::string_view line) {
  std::string shown;
  for (char c : line) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      shown += c;
    } else {
      constexpr std::string_view kHex = "0123456789abcdef";
      shown += "\\x";
      shown += kHex[byte >> 4];
      shown += kHex[byte & 0xf];
    }
  }
  return shown;
}

}  // namespace

ClientTranscript::ClientTranscript(const ClientConfig& config) : client_(config) {}

void ClientTranscript::Start() {
  client_.Start(now_);
  Drain();
}

void ClientTranscript::Server(std::string_view bytes) {
  // The server's side is shown as lines too; it may hold bare LFs or garbage on purpose.
  size_t start = 0;
  while (start < bytes.size()) {
    size_t end = bytes.find('\n', start);
    std::string_view line = bytes.substr(start, end == std::string_view::npos ? end : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    text_ += "S: ";
    text_ += Printable(line.substr(0, 72));
    if (line.size() > 72) text_ += "...";
    text_ += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  client_.OnBytes(bytes, now_);
  Drain();
}

void ClientTranscript::Send(Envelope envelope) {
  Status sent = client_.Send(std::move(envelope), now_);
  Note(sent.ok() ? "send" : "send refused: " + sent.message());
  Drain();
}

void ClientTranscript::TlsEstablished() {
  Note("tls established");
  client_.OnTlsEstablished(now_);
  Drain();
}

void ClientTranscript::TlsFailed(std::string_view reason) {
  Note("tls failed");
  client_.OnTlsFailed(reason, now_);
  Drain();
}

void ClientTranscript::DeadlinePasses() {
  now_ = deadline_;
  Note("deadline passes");
  client_.OnDeadline(now_);
  Drain();
}

void ClientTranscript::ConnectionClosed() {
  Note("connection closed by the server");
  client_.OnConnectionClosed(now_);
  Drain();
}

void ClientTranscript::Quit() {
  Note("quit");
  client_.Quit(now_);
  Drain();
}

void ClientTranscript::Note(std::string_view line) {
  text_ += "> ";
  text_ += line;
  text_ += '\n';
}

void ClientTranscript::Drain() {
  for (ClientAction& action : client_.TakeActions()) {
    if (auto* send = std::get_if<SendBytes>(&action)) {
      AppendLines(text_, "C: ", send->bytes);
    } else if (std::holds_alternative<StartTls>(action)) {
      Note("start tls");
    } else if (auto* close = std::get_if<CloseConnection>(&action)) {
      Note("close: " + close->reason);
    } else if (auto* arm = std::get_if<ArmDeadline>(&action)) {
      deadline_ = arm->deadline;
      auto after = std::chrono::duration_cast<std::chrono::seconds>(arm->deadline - now_);
      Note("deadline +" + std::to_string(after.count()) + "s");
    } else if (std::holds_alternative<ReadyForMail>(action)) {
      Note("ready");
    } else if (auto* done = std::get_if<TransactionDone>(&action)) {
      for (const RecipientResult& result : done->results) {
        // The reply names its code; smtp_code must agree with it (0: no reply decided it).
        std::string code = result.smtp_code == 0 ? "" : std::to_string(result.smtp_code);
        EXPECT_NE(result.reply.find(code), std::string::npos) << result.reply;
        Note("result " + result.recipient + " " + std::string(OutcomeName(result.outcome)) + ": " +
             result.reply + (result.maybe_delivered ? " (maybe delivered)" : ""));
      }
    }
  }
}

void ExpectTranscript(std::string_view name, const std::string& text) {
  std::string path =
      std::string(LIFEBOAT_DELIVERY_TRANSCRIPT_DIR) + "/" + std::string(name) + ".ref";
  const char* update = std::getenv("LIFEBOAT_UPDATE_TRANSCRIPTS");
  if (update != nullptr && std::string_view(update) == "1") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "no transcript " << path;
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(text, expected.str()) << "transcript " << path;
}

}  // namespace lifeboat::delivery::testing
