#pragma once
// The administrators' webhook for routing mode changes (issue #11 Build 7): every committed
// RoutingChanged is POSTed as one JSON object to [routing] webhook_url, in commit order, one
// request at a time. While the listener is down (refused, timed out, 5xx, 408, 429) the head of
// the queue is retried with exponential backoff; the queue is bounded (kWebhookQueueMax), and
// when it is full the oldest notification is dropped and counted, never the loop blocked: the
// event log keeps every change anyway (`lifeboat log`), the webhook is only the alert.
//
// Transport: HTTP/1.1 over a stream from Env::network() (so a simulated node posts into its
// simulated network), "Connection: close", one request per connection. http:// only: the
// Network has no client TLS yet (the config refuses https:// with that reason).
//
// Body: {"scope":"all","mode":"continuity","previous_mode":"normal","reason":"...",
// "forced_by_operator":false,"operator":"","automatic":false,"log_index":N,
// "committed_unix_micros":N,"probes":[{"primary":"10.0.0.5:25","kind":"tcp_connect",
// "success":false,"detail":"...","at_unix_micros":N}]}
//
// Ownership: env and logger outlive the webhook; destroying it drops what is queued.
// Threading: loop thread only.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/network.h"
#include "appliance/log/logger.h"
#include "eventlog/events.pb.h"

namespace lifeboat {

// Notifications kept while the listener is down; a day of flapping at one change per hold-down
// is far below this.
inline constexpr size_t kWebhookQueueMax = 1000;
// One request (connect, send, the status line back) must end within this.
inline constexpr Duration kWebhookRequestTimeout = std::chrono::seconds(5);
// Retry backoff: the first retry after this, doubled per failure up to the maximum.
inline constexpr Duration kWebhookRetryInitial = std::chrono::milliseconds(200);
inline constexpr Duration kWebhookRetryMax = std::chrono::seconds(30);
// Only the status line is read; a response longer than this without one is garbage.
inline constexpr size_t kWebhookResponseBytesMax = 8 * 1024;

struct WebhookTarget {
  std::string address;  // "127.0.0.1:8080": numeric (the Network does no name lookup)
  std::string host;     // the Host header: "hooks.example.test:8080"
  std::string path;     // "/lifeboat/routing"
};

// The JSON body for one committed change.
std::string RoutingWebhookBody(const events::RoutingChanged& change, uint64_t log_index,
                               WallTime committed);

class RoutingWebhook {
 public:
  RoutingWebhook(Env& env, Logger& logger, WebhookTarget target);
  ~RoutingWebhook();
  RoutingWebhook(const RoutingWebhook&) = delete;
  RoutingWebhook& operator=(const RoutingWebhook&) = delete;

  // Queues the change (committed at log index `log_index`) and sends it when those before it
  // are through.
  void Notify(const events::RoutingChanged& change, uint64_t log_index);

  size_t queued() const { return queue_.size(); }
  uint64_t delivered() const { return delivered_; }
  uint64_t dropped() const { return dropped_; }

 private:
  // One request: its connection and the handler of its stream, which drops the callbacks of a
  // request that is over (a late close must not end the next one).
  struct Attempt : ByteStream::Handler {
    Attempt(RoutingWebhook& owner, uint64_t number) : owner(owner), number(number) {}
    void OnBytes(std::string_view bytes) override;
    void OnTlsEstablished(const TlsSessionFacts&) override {}  // plain HTTP: no TLS
    void OnClosed(std::string_view reason) override;
    bool current() const { return owner.in_flight_ && owner.attempt_number_ == number; }
    RoutingWebhook& owner;
    const uint64_t number;
    std::unique_ptr<PendingConnect> connect;
    std::unique_ptr<ByteStream> stream;  // its handler is this Attempt
  };

  void OnBytes(std::string_view bytes);
  void OnClosed(std::string_view reason);
  void Send();
  // Ends the request in flight: 2xx pops the head; `retry` false drops it (a 4xx the listener
  // will answer again); otherwise the head is retried after the backoff.
  void Finish(bool delivered, bool retry, std::string_view detail);

  Env& env_;
  Logger& logger_;
  const WebhookTarget target_;
  std::deque<std::string> queue_;  // JSON bodies, oldest first
  bool in_flight_ = false;
  TimerId deadline_ = 0;
  TimerId retry_timer_ = 0;
  Duration backoff_ = kWebhookRetryInitial;
  uint32_t failures_ = 0;  // consecutive, of the head
  uint64_t attempt_number_ = 0;
  std::unique_ptr<Attempt> attempt_;
  // Finished attempts, destroyed from a posted closure (never inside their own callbacks).
  std::vector<std::unique_ptr<Attempt>> retired_;
  std::string response_;
  uint64_t delivered_ = 0;
  uint64_t dropped_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeboat
