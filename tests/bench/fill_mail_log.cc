// lifeboat_bench_fill_mail_log: writes a node's log of COUNT MailReceived events straight through
// LogStore, for the memory benchmark (tests/bench/memory.py), which then runs `lifeboat rebuild`
// and `lifeboat serve` over it. Going through SMTP would take an hour for a million mails here;
// the events are built as the SMTP driver builds them (appliance/smtp/smtp_connection.cc): a
// mail id, the envelope, the body's SHA-256, one delivery, the raw bytes.
//
// Bodies are distinct text (headers plus lines that vary with the index), so the mailbox
// projection parses every one and LevelDB sees text, not one repeated block.
//
// usage: lifeboat_bench_fill_mail_log LOG_DIR COUNT BODY_BYTES MAILBOX_ID
//                                     [text|base64 [snappy|none]]
// The log must not exist yet; the node writes its identity when it first opens it. "base64"
// bodies are random bytes in base64 lines (an attachment: what snappy cannot shrink); "none"
// writes the log's tables uncompressed (LogStoreOptions::compress_tables), to measure the cost.

#include <openssl/sha.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "appliance/env/check.h"
#include "eventlog/events.pb.h"
#include "eventlog/log_store.h"

namespace lifeboat::bench {
namespace {

constexpr size_t kAppendBatchRecords = 1000;  // one synced Append per batch
constexpr int64_t kFirstTimestampUnixMicros = 1'700'000'000'000'000;
constexpr int64_t kMicrosBetweenMails = 1000;

enum class BodyKind { kText, kBase64 };

// Random bytes as RFC 2045 base64 lines of 76 characters.
void AppendBase64Lines(uint64_t seed, size_t body_bytes, std::string& raw) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  constexpr size_t kLineCharacters = 76;
  uint64_t state = seed * 0x9e3779b97f4a7c15ull + 1;
  while (raw.size() < body_bytes) {
    for (size_t i = 0; i < kLineCharacters; ++i) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      raw.push_back(kAlphabet[state & 63]);
    }
    raw += "\r\n";
  }
}

std::string MailBody(uint64_t index, size_t body_bytes, BodyKind kind) {
  char header[512];
  std::snprintf(header, sizeof(header),
                "From: Sender %llu <sender%llu@example.org>\r\n"
                "To: Bench User <user@example.test>\r\n"
                "Subject: Quarterly figures, part %llu\r\n"
                "Date: Mon, 6 Nov 2023 10:00:00 +0000\r\n"
                "Message-ID: <bench-%llu@example.org>\r\n"
                "MIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=us-ascii\r\n\r\n",
                static_cast<unsigned long long>(index % 1000),
                static_cast<unsigned long long>(index % 1000),
                static_cast<unsigned long long>(index), static_cast<unsigned long long>(index));
  std::string raw = header;
  if (kind == BodyKind::kBase64) {
    AppendBase64Lines(index, body_bytes, raw);
    return raw;
  }
  uint64_t line = 0;
  while (raw.size() < body_bytes) {
    char text[128];
    std::snprintf(text, sizeof(text),
                  "Line %llu of mail %llu: the figures for region %llu are attached below.\r\n",
                  static_cast<unsigned long long>(line), static_cast<unsigned long long>(index),
                  static_cast<unsigned long long>((index * 7 + line) % 97));
    raw += text;
    ++line;
  }
  return raw;
}

std::string MailEventPayload(uint64_t index, size_t body_bytes, BodyKind kind,
                             const std::string& mailbox_id) {
  events::Event event;
  event.set_timestamp_unix_micros(kFirstTimestampUnixMicros +
                                  static_cast<int64_t>(index) * kMicrosBetweenMails);
  event.set_node_id("bench");
  events::MailReceived* mail = event.mutable_mail_received();
  mail->set_mail_id("fill-" + std::to_string(index));
  mail->set_mail_from("sender" + std::to_string(index % 1000) + "@example.org");
  mail->add_rcpt_to("user@example.test");
  std::string raw = MailBody(index, body_bytes, kind);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(raw.data()), raw.size(), digest);
  mail->set_body_sha256(digest, sizeof digest);
  mail->set_helo("client.example.org");
  mail->set_peer_address("127.0.0.1");
  events::MailDelivery* delivery = mail->add_deliveries();
  delivery->set_mailbox_id(mailbox_id);
  mail->set_raw(std::move(raw));
  std::string bytes;
  LB_CHECK(event.SerializeToString(&bytes));
  return bytes;
}

int Run(const std::string& log_dir, uint64_t count, size_t body_bytes,
        const std::string& mailbox_id, BodyKind kind, bool compress_tables) {
  eventlog::LogStoreOptions options;
  options.path = log_dir;
  options.preallocate_wal = false;  // one long write, then closed
  options.compress_tables = compress_tables;
  Result<std::unique_ptr<eventlog::LogStore>> log = eventlog::LogStore::Open(options);
  if (!log.ok()) {
    std::fprintf(stderr, "fill_mail_log: %s\n", log.status().ToString().c_str());
    return 1;
  }
  LB_CHECK((*log)->last_index() == 0);
  std::vector<eventlog::LogRecord> batch;
  batch.reserve(kAppendBatchRecords);
  uint64_t payload_bytes = 0;
  for (uint64_t index = 1; index <= count; ++index) {
    batch.push_back({index, 1, MailEventPayload(index, body_bytes, kind, mailbox_id)});
    payload_bytes += batch.back().payload.size();
    if (batch.size() == kAppendBatchRecords || index == count) {
      Status status = (*log)->Append(batch);
      if (!status.ok()) {
        std::fprintf(stderr, "fill_mail_log: %s\n", status.ToString().c_str());
        return 1;
      }
      batch.clear();
    }
  }
  std::fprintf(stderr, "fill_mail_log: %llu mail events, %.0f bytes average payload, in %s\n",
               static_cast<unsigned long long>(count),
               static_cast<double>(payload_bytes) / static_cast<double>(count), log_dir.c_str());
  return 0;
}

}  // namespace
}  // namespace lifeboat::bench

int main(int argc, char** argv) {
  if (argc < 5 || argc > 7) {
    std::fprintf(stderr,
                 "usage: %s LOG_DIR COUNT BODY_BYTES MAILBOX_ID [text|base64 [snappy|none]]\n",
                 argv[0]);
    return 2;
  }
  using lifeboat::bench::BodyKind;
  const std::string kind_name = argc > 5 ? argv[5] : "text";
  if (kind_name != "text" && kind_name != "base64") {
    std::fprintf(stderr, "fill_mail_log: body kind must be text or base64\n");
    return 2;
  }
  const BodyKind kind = kind_name == "base64" ? BodyKind::kBase64 : BodyKind::kText;
  const bool compress_tables = argc <= 6 || std::string(argv[6]) != "none";
  const uint64_t count = std::strtoull(argv[2], nullptr, 10);
  const size_t body_bytes = std::strtoull(argv[3], nullptr, 10);
  if (count == 0) {
    std::fprintf(stderr, "fill_mail_log: COUNT must be at least 1\n");
    return 2;
  }
  return lifeboat::bench::Run(argv[1], count, body_bytes, argv[4], kind, compress_tables);
}
