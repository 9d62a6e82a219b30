#pragma once
// The continuity routing driver (issue #11 Build 1; DESIGN.md "Modes and routing"): probes every
// configured primary on Env timers (routing_probe.h), feeds the results to the sans-I/O
// routing::RoutingCore, and proposes each mode change the core decides, in order, as a
// RoutingChanged event; the routing projection folds them into the routing table. Operator
// commands (`lifeboat route force|auto`) go through the same core, so each is one event too.
//
// Started by NodeServices when [routing] names primaries. Under Raft this is leader-only: the
// core starts from the table's committed modes (RoutingCore's driver contract).
//
// Failback ends when the delivery driver (delivery_service.h) reports the drain done through
// OnFailbackDrained(): the core then proposes the RoutingChanged back to normal.
//
// Ownership: env, logger, proposer and table outlive the service. Threading: loop thread only.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/env/env.h"
#include "appliance/log/logger.h"
#include "appliance/routing_probe.h"
#include "eventlog/proposer.h"
#include "modules/routing/routing_core.h"
#include "modules/routing/routing_table.h"

namespace lifeboat {

// Each primary's most recent probe results kept for `route status`.
inline constexpr size_t kProbeHistoryMax = 20;

class RoutingService {
 public:
  RoutingService(const config::RoutingConfig& config, Env& env, Logger& logger,
                 eventlog::Proposer& proposer, const routing::RoutingTable& table);
  ~RoutingService();
  RoutingService(const RoutingService&) = delete;
  RoutingService& operator=(const RoutingService&) = delete;

  // Builds the core from the table's committed modes and probes every primary at once, then at
  // every probe interval.
  void Start();
  // No new probes; probes in flight are dropped. Idempotent.
  void Stop();

  // An operator command: InvalidArgument for a malformed scope (nothing proposed). Otherwise
  // one RoutingChanged is proposed; `done` gets its log index once durable, or the error.
  Status SetOverride(std::string_view scope, routing::Override override,
                     std::string_view operator_name, std::string_view reason,
                     eventlog::Proposer::Done done);

  // The delivery driver relayed everything kept for failback: the core proposes failback ->
  // normal (ignored in any other mode).
  void OnFailbackDrained();

  // Called on the loop thread for each RoutingChanged this service proposed, once committed, in
  // commit order, with its log index (the webhook: appliance/routing_webhook.h). Set before
  // Start(); the observer must outlive the service.
  using CommittedObserver =
      std::function<void(const events::RoutingChanged& change, uint64_t log_index)>;
  void set_committed_observer(CommittedObserver observer) { observer_ = std::move(observer); }

  // The "routing" member of `route status`: see RoutingStatusJson.
  std::string PrimariesJson() const;
  events::RoutingMode automatic_mode() const { return core_->automatic_mode(); }
  // Whether the probes say primary `address` is up (false for an unknown one or when stopped).
  bool PrimaryUp(std::string_view address) const;
  // When this node saw each scope's current mode begin: the commit of the change it proposed,
  // or the service's start for a mode that was already in the log.
  const std::map<std::string, WallTime>& since() const { return since_; }
  WallTime started() const { return started_; }

 private:
  struct Primary {
    std::string address;
    std::unique_ptr<SmtpProbe> probe;  // the last one, kept until the next starts (QUIT)
    bool in_flight = false;
    std::deque<events::ProbeResult> history;  // newest last
  };

  void Tick();
  void OnProbeDone(size_t index, events::ProbeResult result);
  void ProposeChanges(eventlog::Proposer::Done last_done);

  const config::RoutingConfig config_;
  Env& env_;
  Logger& logger_;
  eventlog::Proposer& proposer_;
  const routing::RoutingTable& table_;
  std::unique_ptr<routing::RoutingCore> core_;
  std::vector<Primary> primaries_;
  std::map<std::string, WallTime> since_;
  CommittedObserver observer_;
  WallTime started_{0};
  TimerId timer_ = 0;
  bool running_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// `route status` as JSON: {"configured":bool,"automatic_mode":"...","scopes":[{"scope":"all",
// "mode":"continuity","forced":false,"since_unix_micros":N,"since_node_start":bool}],
// "primaries":[{"address":"...","up":bool,"probes":[{"kind":"smtp_ehlo","success":bool,
// "detail":"...","at_unix_micros":N}]}]}. `service` null: no [routing] (modes only).
// `delivery_json`, when not empty, is the delivery driver's status (DeliveryService::StatusJson),
// added as "delivery".
std::string RoutingStatusJson(const routing::RoutingTable& table, const RoutingService* service,
                              std::string_view delivery_json = "");

std::string_view RoutingModeName(events::RoutingMode mode);

}  // namespace lifeboat
