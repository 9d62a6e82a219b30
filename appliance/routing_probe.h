#pragma once
// One fast health probe of a primary (issue #11 Build 1): a TCP connect through Env::network(),
// then the banner and an EHLO read with the delivery module's reply parser
// (modules/delivery/smtp_reply_reader.h), then QUIT. The whole probe is bounded by `timeout`.
// A full SmtpClient is not used: it is built to carry a transaction, and a probe carries none;
// what the two share is the reply grammar, and that is the same code.
//
// The result names the furthest stage reached: PROBE_KIND_TCP_CONNECT when the connection was
// never made, PROBE_KIND_SMTP_EHLO otherwise (success: a 220 banner and a 250 EHLO reply).
//
// Ownership: the owner destroys the probe, never from inside `done` (a Handler call may be on the
// stack); after a success the probe stays alive to send QUIT until the owner destroys it.
// Threading: loop thread only.

#include <functional>
#include <memory>
#include <string>

#include "appliance/env/env.h"
#include "appliance/env/network.h"
#include "eventlog/events.pb.h"
#include "modules/delivery/smtp_reply_reader.h"

namespace lifeboat {

// A reply quoted in a probe result is cut to this many bytes: enough for "421 4.3.2 Service not
// available, closing transmission channel", small enough for the evidence of an event.
inline constexpr size_t kProbeDetailBytesMax = 200;

class SmtpProbe : public ByteStream::Handler {
 public:
  using Done = std::function<void(events::ProbeResult result)>;

  // `primary` is "HOST:PORT" (numeric host). `done` runs once, on the loop thread, never inside
  // Start().
  SmtpProbe(Env& env, std::string primary, std::string helo_name, Duration timeout, Done done);
  ~SmtpProbe() override;
  SmtpProbe(const SmtpProbe&) = delete;
  SmtpProbe& operator=(const SmtpProbe&) = delete;

  void Start();

  // ByteStream::Handler.
  void OnBytes(std::string_view bytes) override;
  void OnTlsEstablished(const TlsSessionFacts& facts) override;
  void OnClosed(std::string_view reason) override;

 private:
  enum class Stage { kConnecting, kBanner, kEhlo, kDone };

  void OnConnected(Result<std::unique_ptr<ByteStream>> stream);
  void OnReply(const delivery::ServerReply& reply);
  void Finish(bool success, events::ProbeKind kind, std::string detail);

  Env& env_;
  const std::string primary_;
  const std::string helo_name_;
  const Duration timeout_;
  Done done_;
  Stage stage_ = Stage::kConnecting;
  TimerId deadline_ = 0;
  std::unique_ptr<PendingConnect> connect_;
  std::unique_ptr<ByteStream> stream_;
  delivery::ReplyReader replies_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeboat
