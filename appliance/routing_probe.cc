#include "appliance/routing_probe.h"

#include <chrono>

#include "appliance/env/check.h"

namespace lifeboat {
namespace {

std::string Cut(std::string text) {
  if (text.size() > kProbeDetailBytesMax) text.resize(kProbeDetailBytesMax);
  return text;
}

}  // namespace

SmtpProbe::SmtpProbe(Env& env, std::string primary, std::string helo_name, Duration timeout,
                     Done done)
    : env_(env),
      primary_(std::move(primary)),
      helo_name_(std::move(helo_name)),
      timeout_(timeout),
      done_(std::move(done)) {}

SmtpProbe::~SmtpProbe() {
  *alive_ = false;
  env_.CancelTimer(deadline_);
}

void SmtpProbe::Start() {
  deadline_ = env_.StartTimer(timeout_, [this] {
    deadline_ = 0;
    if (stage_ == Stage::kDone) return;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout_).count();
    const bool connected = stage_ != Stage::kConnecting;
    Finish(false, connected ? events::PROBE_KIND_SMTP_EHLO : events::PROBE_KIND_TCP_CONNECT,
           std::string(connected ? "no SMTP answer" : "no connection") + " within " +
               std::to_string(ms) + " ms");
    // A timer callback, not a Handler call: the stream may go now.
    connect_.reset();
    stream_.reset();
  });
  auto pending = env_.network().Connect(
      primary_, timeout_,
      [this](Result<std::unique_ptr<ByteStream>> stream) { OnConnected(std::move(stream)); });
  if (!pending.ok()) {
    // Errors known at once still reach `done` later, as the class comment promises.
    env_.Post([this, alive = alive_, status = pending.status()] {
      if (*alive && stage_ == Stage::kConnecting) {
        Finish(false, events::PROBE_KIND_TCP_CONNECT, Cut(status.message()));
      }
    });
    return;
  }
  connect_ = std::move(pending).value();
}

void SmtpProbe::OnConnected(Result<std::unique_ptr<ByteStream>> stream) {
  if (stage_ != Stage::kConnecting) return;
  if (!stream.ok()) {
    Finish(false, events::PROBE_KIND_TCP_CONNECT, Cut(stream.status().message()));
    return;
  }
  stage_ = Stage::kBanner;
  stream_ = std::move(stream).value();
  stream_->Start(this);
}

void SmtpProbe::OnBytes(std::string_view bytes) {
  if (stage_ == Stage::kDone) return;
  Status fed = replies_.Feed(bytes);
  if (!fed.ok()) {
    Finish(false, events::PROBE_KIND_SMTP_EHLO, Cut("garbage: " + fed.message()));
    stream_->CloseAfterFlush();
    return;
  }
  while (stage_ != Stage::kDone) {
    auto reply = replies_.Next();
    if (!reply.has_value()) break;
    OnReply(*reply);
  }
}

void SmtpProbe::OnReply(const delivery::ServerReply& reply) {
  if (stage_ == Stage::kBanner) {
    // RFC 5321 4.3.1: 220 is the greeting of a server ready for mail; 554 (or anything else)
    // is one that will not take any.
    if (reply.code != 220) {
      Finish(false, events::PROBE_KIND_SMTP_EHLO, Cut("banner: " + reply.Text()));
      stream_->Write("QUIT\r\n");
      stream_->CloseAfterFlush();
      return;
    }
    stage_ = Stage::kEhlo;
    stream_->Write("EHLO " + helo_name_ + "\r\n");
    return;
  }
  // Stage::kEhlo: 250 with the extensions (RFC 5321 4.1.1.1).
  const bool ok = reply.code == 250;
  Finish(ok, events::PROBE_KIND_SMTP_EHLO, Cut((ok ? "" : "EHLO: ") + reply.Text()));
  stream_->Write("QUIT\r\n");
  stream_->CloseAfterFlush();
}

void SmtpProbe::OnTlsEstablished(const TlsSessionFacts&) {
  // The probe never starts TLS: nothing to do.
}

void SmtpProbe::OnClosed(std::string_view reason) {
  if (stage_ == Stage::kDone) return;
  Finish(false, events::PROBE_KIND_SMTP_EHLO,
         Cut("connection closed before EHLO was answered: " + std::string(reason)));
}

void SmtpProbe::Finish(bool success, events::ProbeKind kind, std::string detail) {
  LB_CHECK(stage_ != Stage::kDone);
  stage_ = Stage::kDone;
  env_.CancelTimer(deadline_);
  deadline_ = 0;
  events::ProbeResult result;
  result.set_primary(primary_);
  result.set_kind(kind);
  result.set_success(success);
  result.set_detail(std::move(detail));
  result.set_at_unix_micros(env_.WallNow().count());
  Done done = std::move(done_);
  done(std::move(result));
}

}  // namespace lifeboat
