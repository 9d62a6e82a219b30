// CPU cost of ParseMessageMetadata, the per-message work the mailbox projection does on every
// MailReceived (issue #3: it was about half of the projection thread's CPU per 10 KiB message).
//
// Parses, each kParsesPerRun times (scaled by the optional argument):
//   (a) plain-10k: what `smtp-source -l 10240` sends: a few headers, a body of 'X' lines;
//   (b) alternative-10k: multipart/alternative, quoted-printable text/plain + text/html;
//   (c) pdf-100k: multipart/mixed: the (b) body plus a base64 application/pdf attachment;
//   (d) html-10k: an HTML-only newsletter that opens with a long <style> block.
// Prints one JSON line per message: thread CPU microseconds per parse (best of kTimedRuns runs)
// and a fingerprint of the metadata, so a faster parser can be checked to give the same result.
//
// usage: lifeboat_bench_parse [SCALE] [--dump] [--only NAME]   SCALE multiplies the parse counts
// (default 1); --dump prints each message's metadata in text form instead of timing; --only runs
// one message (for perf record).

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "modules/mailbox/message_parser.h"

namespace lifeboat::mailbox {
namespace {

constexpr int kTimedRuns = 3;
constexpr int64_t kFallbackDateUnixSeconds = 1'700'000'000;
constexpr size_t kBodyLineBytes = 78;  // RFC 5322 2.1.1 recommended line length

// Benchmarks measure real CPU time by definition; tests/ is outside the determinism check.
double ThreadCpuMicros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

std::string Headers(std::string_view extra) {
  return std::string(
             "Return-Path: <alice@example.com>\r\n"
             "Received: from mx.example.com (mx.example.com [192.0.2.1])\r\n"
             "\tby lifeboat.example.org (Lifeboat) with ESMTP id 4F2A1C0\r\n"
             "\tfor <bob@example.org>; Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\r\n"
             "From: =?UTF-8?Q?Alice_M=C3=BCller?= <alice@example.com>\r\n"
             "To: Bob Example <bob@example.org>, carol@example.org\r\n"
             "Cc: \"Dave, the CFO\" <dave@example.net>\r\n"
             "Subject: =?UTF-8?B?UXVhcnRhbHN6YWhsZW4gZsO8ciBRMw==?=\r\n"
             "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
             "Message-ID: <abc.123@mail.example.com>\r\n"
             "In-Reply-To: <parent.1@mail.example.com>\r\n"
             "MIME-Version: 1.0\r\n") +
         std::string(extra);
}

// smtp-source (Postfix) sends From/To/Date/Message-Id/Subject and then lines of 'X'.
std::string SmtpSourceMessage(size_t body_bytes) {
  std::string raw =
      "From: <foo@lifeboat.example>\r\nTo: <bar@lifeboat.example>\r\n"
      "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-Id: <0001.0002.0003@lifeboat.example>\r\n"
      "Subject: from smtp-source\r\n\r\n";
  while (body_bytes > 0) {
    size_t line = std::min(body_bytes, kBodyLineBytes);
    raw.append(line, 'X');
    raw += "\r\n";
    body_bytes -= line;
  }
  return raw;
}

std::string ProseLine(int i) {
  return "Line " + std::to_string(i) +
         ": the quarterly numbers are in, r=C3=A9sum=C3=A9 attached; please review =\r\n"
         "before Thursday's meeting.\r\n";
}

std::string HtmlBody(size_t bytes_min) {
  std::string html = "<html><head><style>p{margin:0;color:#333}</style></head><body>\r\n";
  for (int i = 0; html.size() < bytes_min; ++i) {
    html += "<p>Line " + std::to_string(i) +
            ": the quarterly numbers are <b>in</b>, r&eacute;sum&eacute; attached&nbsp;&amp; "
            "please review before Thursday's meeting.</p>\r\n";
  }
  return html + "</body></html>\r\n";
}

std::string AlternativePart(size_t text_bytes_min, size_t html_bytes_min) {
  std::string text;
  for (int i = 0; text.size() < text_bytes_min; ++i) text += ProseLine(i);
  return "Content-Type: multipart/alternative; boundary=\"alt-7f3a\"\r\n\r\n"
         "--alt-7f3a\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
         text +
         "--alt-7f3a\r\n"
         "Content-Type: text/html; charset=utf-8\r\n\r\n" +
         HtmlBody(html_bytes_min) + "--alt-7f3a--\r\n";
}

std::string AlternativeMessage() {
  return Headers("") + AlternativePart(3500, 5500);
}

std::string Base64(size_t decoded_bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint64_t state = 20231114;  // fixed LCG: the same "PDF" on every run
  std::string out;
  size_t line = 0;
  for (size_t i = 0; i < decoded_bytes; i += 3) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    for (int k = 0; k < 4; ++k) out.push_back(kAlphabet[(state >> (40 + 6 * k)) & 63]);
    if ((line += 4) == 76) {
      out += "\r\n";
      line = 0;
    }
  }
  return out + "\r\n";
}

std::string PdfMessage() {
  return Headers("Content-Type: multipart/mixed; boundary=\"mix-91c2\"\r\n\r\n") +
         "This is a multi-part message in MIME format.\r\n"
         "--mix-91c2\r\n" +
         AlternativePart(1500, 2500) +
         "--mix-91c2\r\n"
         "Content-Type: application/pdf; name=\"Bericht Q3.pdf\"\r\n"
         "Content-Disposition: attachment; filename*=UTF-8''Bericht%20f%C3%BCr%20Q3.pdf\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         Base64(70 * 1024) + "--mix-91c2--\r\n";
}

std::string HtmlOnlyMessage() {
  std::string style = "<style>";
  while (style.size() < 4000) style += ".c" + std::to_string(style.size()) + "{color:#123456}";
  std::string html = HtmlBody(6000);
  html.insert(html.find("<style>"), style + "</style>");
  return Headers("Content-Type: text/html; charset=utf-8\r\n\r\n") + html;
}

struct Case {
  const char* name;
  std::string raw;
  int parses;
};

void Run(const Case& c) {
  MessageMetadata metadata = ParseMessageMetadata(c.raw, kFallbackDateUnixSeconds);
  size_t fingerprint = std::hash<std::string>()(metadata.SerializeAsString());
  double best_micros = 0;
  for (int run = 0; run < kTimedRuns; ++run) {
    double start = ThreadCpuMicros();
    size_t sink = 0;
    for (int i = 0; i < c.parses; ++i) {
      sink += ParseMessageMetadata(c.raw, kFallbackDateUnixSeconds).preview().size();
    }
    double micros = (ThreadCpuMicros() - start) / c.parses;
    if (sink == 0) std::printf("(empty previews)\n");
    if (run == 0 || micros < best_micros) best_micros = micros;
  }
  std::printf(
      "{\"name\":\"parse_%s\",\"value\":%.1f,\"unit\":\"cpu_us_per_parse\",\"target_max\":null,"
      "\"message_bytes\":%zu,\"metadata_fingerprint\":\"%016zx\"}\n",
      c.name, best_micros, c.raw.size(), fingerprint);
}

}  // namespace
}  // namespace lifeboat::mailbox

int main(int argc, char** argv) {
  using lifeboat::mailbox::Case;
  double scale = 1;
  bool dump = false;
  std::string_view only;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--dump") {
      dump = true;
    } else if (std::string_view(argv[i]) == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else {
      scale = std::atof(argv[i]);
    }
  }
  auto count = [scale](int parses) { return std::max(1, static_cast<int>(parses * scale)); };
  std::vector<Case> cases = {
      {"plain_10k", lifeboat::mailbox::SmtpSourceMessage(10240), count(5000)},
      {"alternative_10k", lifeboat::mailbox::AlternativeMessage(), count(5000)},
      {"pdf_100k", lifeboat::mailbox::PdfMessage(), count(1000)},
      {"html_10k", lifeboat::mailbox::HtmlOnlyMessage(), count(5000)},
  };
  for (const Case& c : cases) {
    if (!only.empty() && only != c.name) continue;
    if (dump) {
      std::printf("== %s (%zu bytes)\n%s", c.name, c.raw.size(),
                  lifeboat::mailbox::ParseMessageMetadata(c.raw, 0).DebugString().c_str());
    } else {
      lifeboat::mailbox::Run(c);
    }
  }
  return 0;
}
