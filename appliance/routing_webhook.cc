#include "appliance/routing_webhook.h"

#include <algorithm>
#include <chrono>

#include "appliance/env/check.h"
#include "appliance/json/json_writer.h"

namespace lifeboat {
namespace {

constexpr std::string_view kComponent = "routing-webhook";

// "ROUTING_MODE_CONTINUITY" -> "continuity": the enum's own name without its prefix.
std::string ShortName(const std::string& full, std::string_view prefix) {
  std::string name = full.rfind(prefix, 0) == 0 ? full.substr(prefix.size()) : full;
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

std::string ModeName(events::RoutingMode mode) {
  return ShortName(events::RoutingMode_Name(mode), "ROUTING_MODE_");
}

std::string Request(const WebhookTarget& target, const std::string& body) {
  return "POST " + target.path + " HTTP/1.1\r\nHost: " + target.host +
         "\r\nUser-Agent: lifeboat\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

// The status code of "HTTP/1.1 204 No Content" (RFC 9112 section 4), or -1.
int StatusCodeOf(std::string_view line) {
  if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12 || line[8] != ' ') return -1;
  int code = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return -1;
    code = code * 10 + (line[i] - '0');
  }
  return code;
}

}  // namespace

std::string RoutingWebhookBody(const events::RoutingChanged& change, uint64_t log_index,
                               WallTime committed) {
  std::string probes = "[";
  for (int i = 0; i < change.probes_size(); ++i) {
    const events::ProbeResult& probe = change.probes(i);
    if (i > 0) probes += ",";
    probes += json::ObjectWriter()
                  .String("primary", probe.primary())
                  .String("kind", ShortName(events::ProbeKind_Name(probe.kind()), "PROBE_KIND_"))
                  .Bool("success", probe.success())
                  .String("detail", probe.detail())
                  .Int("at_unix_micros", probe.at_unix_micros())
                  .Finish();
  }
  probes += "]";
  return json::ObjectWriter()
      .String("scope", change.scope())
      .String("mode", ModeName(change.mode()))
      .String("previous_mode", ModeName(change.previous_mode()))
      .String("reason", change.reason())
      .Bool("forced_by_operator", change.forced_by_operator())
      .String("operator", change.operator_name())
      .Bool("automatic", change.automatic())
      .Uint("log_index", log_index)
      .Int("committed_unix_micros", committed.count())
      .Raw("probes", probes)
      .Finish();
}

RoutingWebhook::RoutingWebhook(Env& env, Logger& logger, WebhookTarget target)
    : env_(env), logger_(logger), target_(std::move(target)) {}

RoutingWebhook::~RoutingWebhook() {
  *alive_ = false;
  env_.CancelTimer(deadline_);
  env_.CancelTimer(retry_timer_);
}

void RoutingWebhook::Notify(const events::RoutingChanged& change, uint64_t log_index) {
  queue_.push_back(RoutingWebhookBody(change, log_index, env_.WallNow()));
  if (queue_.size() > kWebhookQueueMax) {
    // The head may be in flight: drop the oldest one behind it, so the request in flight still
    // finds its body at the head.
    queue_.erase(queue_.begin() + (in_flight_ ? 1 : 0));
    ++dropped_;
    logger_.Warn(kComponent, "webhook queue full: oldest notification dropped",
                 {{"dropped", dropped_}, {"queue_max", static_cast<uint64_t>(kWebhookQueueMax)}});
  }
  if (!in_flight_ && retry_timer_ == 0) Send();
}

void RoutingWebhook::Send() {
  LB_CHECK(!in_flight_);
  if (queue_.empty()) return;
  in_flight_ = true;
  response_.clear();
  attempt_ = std::make_unique<Attempt>(*this, ++attempt_number_);
  deadline_ = env_.StartTimer(kWebhookRequestTimeout, [this] {
    deadline_ = 0;
    Finish(false, true, "no answer within the request timeout");
  });
  Attempt* attempt = attempt_.get();
  auto pending =
      env_.network().Connect(target_.address, kWebhookRequestTimeout,
                             [this, attempt](Result<std::unique_ptr<ByteStream>> stream) {
                               if (!attempt->current()) return;
                               if (!stream.ok()) {
                                 Finish(false, true, stream.status().message());
                                 return;
                               }
                               attempt->stream = std::move(stream).value();
                               attempt->stream->Start(attempt);
                               attempt->stream->Write(Request(target_, queue_.front()));
                             });
  if (!pending.ok()) {
    env_.Post([this, alive = alive_, number = attempt_number_, status = pending.status()] {
      if (*alive && in_flight_ && attempt_number_ == number) Finish(false, true, status.message());
    });
    return;
  }
  attempt->connect = std::move(pending).value();
}

void RoutingWebhook::Attempt::OnBytes(std::string_view bytes) {
  if (current()) owner.OnBytes(bytes);
}

void RoutingWebhook::Attempt::OnClosed(std::string_view reason) {
  if (current()) owner.OnClosed(reason);
}

void RoutingWebhook::OnBytes(std::string_view bytes) {
  response_.append(bytes.substr(0, kWebhookResponseBytesMax - response_.size()));
  const size_t end = response_.find("\r\n");
  if (end == std::string::npos) {
    if (response_.size() >= kWebhookResponseBytesMax) {
      Finish(false, true, "no HTTP status line");
    }
    return;
  }
  const std::string line = response_.substr(0, end);
  const int code = StatusCodeOf(line);
  if (code >= 200 && code < 300) {
    Finish(true, false, line);
  } else if (code >= 400 && code < 500 && code != 408 && code != 429) {
    // The listener refuses this body; sent again it would refuse it again and hold back every
    // change behind it.
    Finish(false, false, line);
  } else {
    Finish(false, true, code < 0 ? "not an HTTP status line: " + line.substr(0, 100) : line);
  }
}

void RoutingWebhook::OnClosed(std::string_view reason) {
  Finish(false, true, "connection closed before the status line: " + std::string(reason));
}

void RoutingWebhook::Finish(bool delivered, bool retry, std::string_view detail) {
  LB_CHECK(in_flight_ && !queue_.empty());
  in_flight_ = false;
  env_.CancelTimer(deadline_);
  deadline_ = 0;
  // Finish may run inside a callback of this attempt's stream or connect: the attempt is
  // destroyed from a posted closure. The status line is read, so closing without a flush loses
  // nothing.
  if (retired_.empty()) {
    env_.Post([this, alive = alive_] {
      if (*alive) retired_.clear();
    });
  }
  retired_.push_back(std::move(attempt_));
  if (delivered || !retry) {
    if (delivered) {
      ++delivered_;
      logger_.Debug(kComponent, "mode change delivered", {{"status", detail}});
    } else {
      ++dropped_;
      logger_.Error(kComponent, "webhook refused a notification: dropped", {{"status", detail}});
    }
    queue_.pop_front();
    failures_ = 0;
    backoff_ = kWebhookRetryInitial;
    if (!queue_.empty()) {
      env_.Post([this, alive = alive_] {
        if (*alive && !in_flight_ && retry_timer_ == 0) Send();
      });
    }
    return;
  }
  ++failures_;
  if (failures_ == 1 || failures_ % 10 == 0) {
    logger_.Warn(kComponent, "webhook unreachable: retrying",
                 {{"detail", detail},
                  {"failures", static_cast<uint64_t>(failures_)},
                  {"queued", static_cast<uint64_t>(queue_.size())}});
  }
  retry_timer_ = env_.StartTimer(backoff_, [this] {
    retry_timer_ = 0;
    Send();
  });
  backoff_ = std::min<Duration>(backoff_ * 2, kWebhookRetryMax);
}

}  // namespace lifeboat
