#include "appliance/routing_service.h"

#include <chrono>

#include "appliance/json/json_writer.h"

namespace lifeboat {
namespace {

constexpr std::string_view kComponent = "routing";

std::string_view ProbeKindName(events::ProbeKind kind) {
  switch (kind) {
    case events::PROBE_KIND_TCP_CONNECT:
      return "tcp_connect";
    case events::PROBE_KIND_SMTP_EHLO:
      return "smtp_ehlo";
    case events::PROBE_KIND_END_TO_END:
      return "end_to_end";
    default:
      return "unspecified";
  }
}

routing::RoutingCoreConfig CoreConfig(const config::RoutingConfig& config) {
  routing::RoutingCoreConfig core;
  core.primaries = config.primaries;
  core.thresholds.failures_to_switch = static_cast<uint32_t>(config.failures_to_switch);
  core.thresholds.failure_window = std::chrono::milliseconds(config.failure_window_ms);
  core.thresholds.successes_to_recover = static_cast<uint32_t>(config.successes_to_recover);
  core.thresholds.hold_down = std::chrono::milliseconds(config.hold_down_ms);
  return core;
}

}  // namespace

std::string_view RoutingModeName(events::RoutingMode mode) {
  switch (mode) {
    case events::ROUTING_MODE_NORMAL:
      return "normal";
    case events::ROUTING_MODE_CONTINUITY:
      return "continuity";
    case events::ROUTING_MODE_FAILBACK:
      return "failback";
    default:
      return "unspecified";
  }
}

RoutingService::RoutingService(const config::RoutingConfig& config, Env& env, Logger& logger,
                               eventlog::Proposer& proposer, const routing::RoutingTable& table)
    : config_(config), env_(env), logger_(logger), proposer_(proposer), table_(table) {
  LB_CHECK(config_.enabled && !config_.primaries.empty());
  for (const std::string& address : config_.primaries) {
    Primary primary;
    primary.address = address;
    primaries_.push_back(std::move(primary));
  }
}

RoutingService::~RoutingService() {
  Stop();
  *alive_ = false;
}

void RoutingService::Start() {
  LB_CHECK(!running_);
  running_ = true;
  started_ = env_.WallNow();
  core_ = std::make_unique<routing::RoutingCore>(
      CoreConfig(config_), routing::StartFromScopes(table_.ScopeModes()), env_.MonotonicNow());
  logger_.Info(kComponent, "probing primaries",
               {{"primaries", static_cast<uint64_t>(primaries_.size())},
                {"interval_ms", config_.probe_interval_ms},
                {"mode", RoutingModeName(core_->automatic_mode())}});
  Tick();
}

void RoutingService::Stop() {
  if (!running_) return;
  running_ = false;
  env_.CancelTimer(timer_);
  timer_ = 0;
  for (Primary& primary : primaries_) {
    primary.probe.reset();
    primary.in_flight = false;
  }
}

void RoutingService::Tick() {
  timer_ =
      env_.StartTimer(std::chrono::milliseconds(config_.probe_interval_ms), [this] { Tick(); });
  // A switch held back by the hold-down happens now even without a new probe result.
  core_->Evaluate(env_.MonotonicNow());
  ProposeChanges(nullptr);
  for (size_t i = 0; i < primaries_.size(); ++i) {
    Primary& primary = primaries_[i];
    // The timeout is below the interval (config), so a probe is never still running here; if the
    // loop was late, skip a round rather than overlap.
    if (primary.in_flight) continue;
    primary.in_flight = true;
    primary.probe = std::make_unique<SmtpProbe>(
        env_, primary.address, config_.helo_name,
        std::chrono::milliseconds(config_.probe_timeout_ms),
        [this, i](events::ProbeResult result) { OnProbeDone(i, std::move(result)); });
    primary.probe->Start();
  }
}

void RoutingService::OnProbeDone(size_t index, events::ProbeResult result) {
  Primary& primary = primaries_.at(index);
  primary.in_flight = false;
  primary.history.push_back(result);
  while (primary.history.size() > kProbeHistoryMax) primary.history.pop_front();
  if (!result.success()) {
    logger_.Debug(kComponent, "probe failed",
                  {{"primary", primary.address}, {"detail", result.detail()}});
  }
  routing::Probe probe;
  probe.at = env_.MonotonicNow();
  probe.record = std::move(result);
  Status fed = core_->OnProbe(probe);
  LB_CHECK(fed.ok());  // only configured primaries are probed
  ProposeChanges(nullptr);
}

Status RoutingService::SetOverride(std::string_view scope, routing::Override override,
                                   std::string_view operator_name, std::string_view reason,
                                   eventlog::Proposer::Done done) {
  if (!running_) return Status::FailedPrecondition("routing is stopping");
  LB_RETURN_IF_ERROR(core_->SetOverride(scope, override, operator_name, reason));
  ProposeChanges(std::move(done));
  return Status::Ok();
}

void RoutingService::OnFailbackDrained() {
  if (!running_) return;
  core_->OnFailbackDrained(env_.MonotonicNow());
  ProposeChanges(nullptr);
}

bool RoutingService::PrimaryUp(std::string_view address) const {
  if (!running_) return false;
  for (size_t i = 0; i < primaries_.size(); ++i) {
    if (primaries_[i].address == address) return core_->primary(i).up();
  }
  return false;
}

void RoutingService::ProposeChanges(eventlog::Proposer::Done last_done) {
  std::vector<events::RoutingChanged> changes = core_->TakeChanges();
  for (size_t i = 0; i < changes.size(); ++i) {
    const events::RoutingChanged& change = changes[i];
    logger_.Info(kComponent, "routing mode change proposed",
                 {{"scope", change.scope()},
                  {"mode", RoutingModeName(change.mode())},
                  {"previous_mode", RoutingModeName(change.previous_mode())},
                  {"reason", change.reason()}});
    events::Event event;
    *event.mutable_routing_changed() = change;
    const bool last = i + 1 == changes.size();
    // The proposer keeps the order of proposals: the changes land in the order decided.
    proposer_.Propose(std::move(event),
                      [this, alive = alive_, change,
                       done = last ? std::move(last_done) : nullptr](Result<uint64_t> index) {
                        const std::string& scope = change.scope();
                        if (*alive) {
                          if (index.ok()) {
                            since_[scope] = env_.WallNow();
                            if (observer_) observer_(change, *index);
                          } else {
                            logger_.Error(kComponent, "routing change not recorded",
                                          {{"scope", scope}, {"error", index.status().ToString()}});
                          }
                        }
                        if (done) done(index);
                      });
  }
}

std::string RoutingService::PrimariesJson() const {
  std::string out = "[";
  for (size_t i = 0; i < primaries_.size(); ++i) {
    const Primary& primary = primaries_[i];
    std::string probes = "[";
    for (size_t j = 0; j < primary.history.size(); ++j) {
      const events::ProbeResult& probe = primary.history[j];
      if (j > 0) probes += ",";
      probes += json::ObjectWriter()
                    .String("kind", ProbeKindName(probe.kind()))
                    .Bool("success", probe.success())
                    .String("detail", probe.detail())
                    .Int("at_unix_micros", probe.at_unix_micros())
                    .Finish();
    }
    probes += "]";
    if (i > 0) out += ",";
    out += json::ObjectWriter()
               .String("address", primary.address)
               .Bool("up", running_ && core_->primary(i).up())
               .Raw("probes", probes)
               .Finish();
  }
  return out + "]";
}

std::string RoutingStatusJson(const routing::RoutingTable& table, const RoutingService* service,
                              std::string_view delivery_json) {
  std::string scopes = "[";
  bool first = true;
  for (const auto& [scope, mode] : table.ScopeModes()) {
    json::ObjectWriter writer;
    writer.String("scope", scope)
        .String("mode", RoutingModeName(mode.mode))
        .Bool("forced", mode.forced);
    if (service != nullptr) {
      auto since = service->since().find(scope);
      const bool known = since != service->since().end();
      writer.Int("since_unix_micros", (known ? since->second : service->started()).count())
          .Bool("since_node_start", !known);
    }
    if (!first) scopes += ",";
    first = false;
    scopes += writer.Finish();
  }
  scopes += "]";
  json::ObjectWriter writer;
  writer.Bool("configured", service != nullptr);
  if (service != nullptr) {
    writer.String("automatic_mode", RoutingModeName(service->automatic_mode()));
  }
  writer.Raw("scopes", scopes);
  writer.Raw("primaries", service != nullptr ? service->PrimariesJson() : "[]");
  if (!delivery_json.empty()) writer.Raw("delivery", delivery_json);
  return writer.Finish();
}

}  // namespace lifeboat
