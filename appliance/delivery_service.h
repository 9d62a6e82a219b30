#pragma once
// The delivery driver (issue #11 Build 3 and 4; DESIGN.md "Data path" 5, "Modes and routing"):
// relays the inbound mail the queue projection holds to a [routing] primary, on the loop, and
// records every attempt, success and bounce as an event.
//
// The decisions are the sans-I/O cores': delivery::DeliveryQueue (what is due, oldest first;
// what each outcome means; retries with backoff and jitter from the Env; the maximum age) and
// delivery::SmtpClient (the dialogue, in RelayConnection). This class only wires them to the
// Env: it fills the queue core from the projection's view (at start, then after every folded
// batch), asks the routing table per recipient whether its scope relays now, opens up to
// `concurrency` connections to the primary, and proposes the core's events in order.
//
// Modes (routing_table.h): a recipient in normal or failback is relayed; one in continuity is
// held (never attempted: no relay attempt to a primary after the switch). In failback the held
// mail drains oldest first; when no recipient in a failback scope is owed any more, the driver
// tells RoutingService, whose core proposes failback -> normal.
//
// Which primary: the first configured one the probes say is up, else the first configured.
// Bodies are read from the log (LogMailBodies) on the loop, one mail at a time.
//
// Not done here: the RFC 3464 DSN for a bounce is not sent (outbound delivery is another part of
// issue #11); the Bounced event is recorded and the missing DSN logged.
//
// Ownership: env, logger, proposer, view, table, bodies and routing outlive the service.
// Threading: loop thread only.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/env/env.h"
#include "appliance/env/network.h"
#include "appliance/log/logger.h"
#include "appliance/relay_connection.h"
#include "appliance/routing_service.h"
#include "eventlog/proposer.h"
#include "modules/delivery/delivery_queue.h"
#include "modules/delivery/queue_view.h"
#include "modules/mailbox/mailbox_reader.h"
#include "modules/routing/routing_table.h"

namespace lifeboat {

// The driver re-checks what is due at least this often (retries that came due; a routing change
// it was not told of); committed batches and finished connections wake it at once.
inline constexpr Duration kDeliveryTickInterval = std::chrono::seconds(1);

struct DeliveryServiceDeps {
  Env* env = nullptr;
  Logger* logger = nullptr;
  eventlog::Proposer* proposer = nullptr;
  const delivery::DeliveryQueueView* view = nullptr;
  const routing::RoutingTable* table = nullptr;
  const mailbox::MailBodySource* bodies = nullptr;
  RoutingService* routing = nullptr;  // told when the failback drain is done
};

class DeliveryService {
 public:
  DeliveryService(const config::DeliveryConfig& config, const config::RoutingConfig& routing,
                  DeliveryServiceDeps deps);
  ~DeliveryService();
  DeliveryService(const DeliveryService&) = delete;
  DeliveryService& operator=(const DeliveryService&) = delete;

  // Loads the client TLS policy (errors: the CA file) and fills the queue core from the view.
  Status Start();
  // No new connections; those open are dropped (their mails stay owed in the log). Idempotent.
  void Stop();
  // A batch was folded: new mails in the view, maybe a routing change.
  void OnApplied();

  // `route status`'s "delivery" member: {"queued_mails":N,"queued_recipients":N,
  // "held_recipients":N,"connections":N,"possible_duplicates":N,"destination":"HOST:PORT"}.
  std::string StatusJson() const;

 private:
  void Pump();
  void Tick();
  bool RelayNow(const std::string& recipient) const;
  std::string Destination() const;
  std::optional<RelayMail> NextMail();
  std::optional<RelayMail> Prepare(delivery::DeliveryAttempt attempt);
  void OnResults(const delivery::DeliveryAttempt& attempt,
                 const std::vector<delivery::RecipientResult>& results);
  void OnConnectionClosed(RelayConnection& connection, const std::string& reason);
  void CheckFailbackDrained();
  void TakeNewMails();

  struct MailBody {
    uint64_t event_index = 0;
    bool body_8bit = false;
  };

  const config::DeliveryConfig config_;
  const std::vector<std::string> primaries_;
  delivery::ClientConfig client_config_;
  DeliveryServiceDeps deps_;
  delivery::DeliveryQueue queue_;
  std::map<std::string, MailBody> bodies_;  // mail id -> where its bytes are
  uint64_t seen_index_ = 0;                 // the view's mails up to here are in queue_
  std::unique_ptr<ClientTls> tls_;
  std::vector<std::unique_ptr<RelayConnection>> connections_;
  TimerId timer_ = 0;
  bool running_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeboat
