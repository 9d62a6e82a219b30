#include "appliance/delivery_service.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "appliance/json/json_writer.h"
#include "modules/routing/scope.h"

namespace lifeboat {
namespace {

constexpr std::string_view kComponent = "delivery";
// The logical destination the queue core files every mail under; the connection picks the
// primary when the mail goes (Destination()).
constexpr std::string_view kPrimaryDestination = "primary";

delivery::RetryPolicy PolicyFrom(const config::DeliveryConfig& config) {
  delivery::RetryPolicy policy;
  policy.initial = std::chrono::milliseconds(config.retry_initial_ms);
  policy.interval_max = std::max(policy.interval_max, policy.initial);
  return policy;
}

delivery::TlsPolicy TlsPolicyFrom(config::DeliveryTls tls) {
  switch (tls) {
    case config::DeliveryTls::kVerify:
      return delivery::TlsPolicy::kRequired;
    case config::DeliveryTls::kOpportunistic:
      return delivery::TlsPolicy::kOpportunistic;
    case config::DeliveryTls::kNone:
      return delivery::TlsPolicy::kNone;
  }
  return delivery::TlsPolicy::kRequired;
}

// "10.0.0.5:25" -> "10.0.0.5"; "[::1]:25" -> "::1".
std::string HostOf(const std::string& address) {
  std::string host = address.substr(0, address.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

}  // namespace

DeliveryService::DeliveryService(const config::DeliveryConfig& config,
                                 const config::RoutingConfig& routing, DeliveryServiceDeps deps)
    : config_(config), primaries_(routing.primaries), deps_(deps), queue_(PolicyFrom(config)) {
  LB_CHECK(deps_.env && deps_.logger && deps_.proposer && deps_.view && deps_.table &&
           deps_.bodies);
  LB_CHECK(!primaries_.empty());
  client_config_.helo_name = routing.helo_name;
  client_config_.tls = TlsPolicyFrom(config_.tls);
}

DeliveryService::~DeliveryService() {
  Stop();
  *alive_ = false;
}

Status DeliveryService::Start() {
  LB_CHECK(!running_);
  if (config_.tls != config::DeliveryTls::kNone) {
    ClientTlsOptions options;
    options.verify_peer = config_.tls == config::DeliveryTls::kVerify;
    options.ca_file_path = config_.ca_file;
    auto tls = deps_.env->network().LoadClientTls(options);
    if (!tls.ok()) return tls.status();
    tls_ = std::move(tls).value();
  }
  running_ = true;
  TakeNewMails();
  deps_.logger->Info(kComponent, "relaying to the primary",
                     {{"queued_mails", static_cast<uint64_t>(queue_.size())},
                      {"concurrency", config_.concurrency},
                      {"primary", Destination()}});
  Tick();
  return Status::Ok();
}

void DeliveryService::Stop() {
  if (!running_) return;
  running_ = false;
  deps_.env->CancelTimer(timer_);
  timer_ = 0;
  // Mails in flight stay owed in the log; the next start attempts them again.
  connections_.clear();
}

void DeliveryService::OnApplied() {
  Pump();
}

void DeliveryService::Tick() {
  timer_ = deps_.env->StartTimer(kDeliveryTickInterval, [this] { Tick(); });
  Pump();
}

void DeliveryService::TakeNewMails() {
  for (delivery::QueuedMail& mail : deps_.view->AddedAfter(seen_index_)) {
    seen_index_ = std::max(seen_index_, mail.event_index);
    if (queue_.Contains(mail.mail_id)) continue;
    queue_.Add(mail.mail_id, mail.mail_from, mail.rcpt_to, std::string(kPrimaryDestination),
               mail.received);
    bodies_[mail.mail_id] = {mail.event_index, mail.body_8bit};
  }
}

bool DeliveryService::RelayNow(const std::string& recipient) const {
  return deps_.table->RouteFor(recipient).relay_to_primary;
}

std::string DeliveryService::Destination() const {
  if (deps_.routing != nullptr) {
    for (const std::string& primary : primaries_) {
      if (deps_.routing->PrimaryUp(primary)) return primary;
    }
  }
  return primaries_.front();
}

void DeliveryService::Pump() {
  if (!running_) return;
  TakeNewMails();
  while (connections_.size() < static_cast<size_t>(config_.concurrency)) {
    std::optional<RelayMail> mail = NextMail();
    if (!mail.has_value()) break;
    const std::string destination = mail->attempt.destination;
    RelayConnection::Callbacks callbacks;
    callbacks.next_mail = [this](RelayConnection& connection) -> std::optional<RelayMail> {
      if (!running_ || !config_.connection_reuse) return std::nullopt;
      std::optional<RelayMail> next = NextMail();
      // A mail for another primary (the first one came back up) waits for its own connection.
      if (next.has_value()) next->attempt.destination = connection.destination();
      return next;
    };
    callbacks.on_results = [this](RelayConnection&, const delivery::DeliveryAttempt& attempt,
                                  const std::vector<delivery::RecipientResult>& results) {
      OnResults(attempt, results);
    };
    callbacks.on_closed = [this](RelayConnection& connection, const std::string& reason) {
      OnConnectionClosed(connection, reason);
    };
    const std::string server_name =
        config_.tls_server_name.empty() ? HostOf(destination) : config_.tls_server_name;
    auto connection = std::make_unique<RelayConnection>(
        *deps_.env, destination, server_name, client_config_, tls_.get(),
        std::chrono::milliseconds(config_.connect_timeout_ms), std::move(callbacks));
    RelayConnection* started = connection.get();
    connections_.push_back(std::move(connection));
    started->Start(std::move(*mail));
  }
  CheckFailbackDrained();
}

std::optional<RelayMail> DeliveryService::NextMail() {
  for (;;) {
    std::vector<delivery::DeliveryAttempt> due =
        queue_.TakeDue(deps_.env->WallNow(), 1,
                       [this](const std::string& recipient) { return RelayNow(recipient); });
    if (due.empty()) return std::nullopt;
    std::optional<RelayMail> mail = Prepare(std::move(due.front()));
    if (mail.has_value()) return mail;
    // The body could not be read: retried later (Prepare recorded it); look further.
  }
}

std::optional<RelayMail> DeliveryService::Prepare(delivery::DeliveryAttempt attempt) {
  attempt.destination = Destination();
  auto body = bodies_.find(attempt.mail_id);
  LB_CHECK(body != bodies_.end());
  Result<std::string> raw = deps_.bodies->MailRaw(body->second.event_index);
  if (!raw.ok()) {
    std::vector<delivery::RecipientResult> results;
    for (const std::string& recipient : attempt.rcpt_to) {
      delivery::RecipientResult result;
      result.recipient = recipient;
      result.outcome = delivery::RecipientOutcome::kRetry;
      result.reply = "reading the message from the log: " + raw.status().ToString();
      results.push_back(std::move(result));
    }
    OnResults(attempt, results);
    return std::nullopt;
  }
  RelayMail mail;
  mail.envelope.mail_from = attempt.mail_from;
  mail.envelope.rcpt_to = attempt.rcpt_to;
  mail.envelope.content = std::move(raw).value();
  mail.envelope.body_8bit = body->second.body_8bit;
  mail.attempt = std::move(attempt);
  return mail;
}

void DeliveryService::OnResults(const delivery::DeliveryAttempt& attempt,
                                const std::vector<delivery::RecipientResult>& results) {
  delivery::AttemptOutcome outcome = queue_.OnResults(attempt, results, HostOf(attempt.destination),
                                                      deps_.env->WallNow(), deps_.env->RandomU64());
  if (!queue_.Contains(attempt.mail_id)) bodies_.erase(attempt.mail_id);
  for (events::Event& event : outcome.events) {
    if (event.has_delivered()) {
      deps_.logger->Info(kComponent, "relayed",
                         {{"mail_id", attempt.mail_id},
                          {"destination", attempt.destination},
                          {"recipients", static_cast<uint64_t>(event.delivered().rcpt_to_size())},
                          {"reply", event.delivered().smtp_reply()}});
    } else if (event.has_bounced()) {
      deps_.logger->Warn(kComponent, "bounced",
                         {{"mail_id", attempt.mail_id}, {"reply", event.bounced().smtp_reply()}});
    } else if (event.has_delivery_attempted() && event.delivery_attempted().smtp_code() != 0) {
      deps_.logger->Info(
          kComponent, "attempt not delivered",
          {{"mail_id", attempt.mail_id}, {"reply", event.delivery_attempted().smtp_reply()}});
    }
    // The proposer keeps the order: Delivered lands after its DeliveryAttempted, and a
    // RoutingChanged the drain causes lands after both.
    deps_.proposer->Propose(std::move(event), [this, alive = alive_,
                                               mail_id = attempt.mail_id](Result<uint64_t> index) {
      if (*alive && !index.ok()) {
        // The primary has the mail but the log does not say so: after a restart it is
        // relayed again (at-least-once, DESIGN.md "Data path" 5).
        deps_.logger->Error(kComponent, "delivery event not recorded",
                            {{"mail_id", mail_id}, {"error", index.status().ToString()}});
      }
    });
  }
  if (!outcome.dsn_recipients.empty()) {
    deps_.logger->Warn(kComponent, "bounce notification not sent: outbound delivery not wired",
                       {{"mail_id", attempt.mail_id}, {"sender", attempt.mail_from}});
  }
}

void DeliveryService::OnConnectionClosed(RelayConnection& connection, const std::string& reason) {
  deps_.logger->Debug(kComponent, "connection closed",
                      {{"destination", connection.destination()}, {"reason", reason}});
  // Never destroyed from inside its own callback: the deletion runs on the next turn.
  deps_.env->Post([this, alive = alive_, closed = &connection] {
    if (!*alive) return;
    auto found = std::find_if(connections_.begin(), connections_.end(),
                              [&](const auto& held) { return held.get() == closed; });
    if (found != connections_.end()) connections_.erase(found);
    Pump();
  });
}

void DeliveryService::CheckFailbackDrained() {
  if (deps_.routing == nullptr) return;
  if (deps_.routing->automatic_mode() != events::ROUTING_MODE_FAILBACK) return;
  // Until the switch to failback is committed the table still holds the kept mail back, and an
  // empty count would mean nothing.
  const auto scopes = deps_.table->Scopes();
  auto all = scopes.find(std::string(routing::kScopeAll));
  if (all == scopes.end() || all->second != events::ROUTING_MODE_FAILBACK) return;
  const size_t owed = queue_.CountRecipients([this](const std::string& recipient) {
    return deps_.table->RouteFor(recipient).mode == events::ROUTING_MODE_FAILBACK;
  });
  if (owed > 0) return;
  deps_.logger->Info(kComponent, "failback drained: every kept mail relayed", {});
  deps_.routing->OnFailbackDrained();
}

std::string DeliveryService::StatusJson() const {
  const size_t recipients = queue_.CountRecipients([](const std::string&) { return true; });
  const size_t held =
      queue_.CountRecipients([this](const std::string& recipient) { return !RelayNow(recipient); });
  return json::ObjectWriter()
      .Uint("queued_mails", queue_.size())
      .Uint("queued_recipients", recipients)
      .Uint("held_recipients", held)
      .Uint("connections", connections_.size())
      .Uint("possible_duplicates", queue_.possible_duplicates())
      .String("destination", running_ ? Destination() : "")
      .Finish();
}

}  // namespace lifeboat
