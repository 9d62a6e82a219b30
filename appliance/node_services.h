#pragma once
// A node's services: what runs on top of its storage (node_storage.h) and proposes to it.
//   - SMTP (smtp/smtp_service.h), when [smtp] is enabled: refused at RCPT below the disk reserve;
//   - the directory (directory_service.h): the import file and the LDAP loop;
//   - the retention job (retention_job.h), when [mailbox] retention_days > 0;
//   - continuity routing (routing_service.h) and the relay to the primary with its failback drain
//     (delivery_service.h), when [routing] names primaries.
// Under Raft these are the leader-only part of a node (DESIGN.md "Replication").
//
// Ownership: `env`, `logger` and `storage` outlive the services; they hold storage.proposer().
// Threading: loop thread only.

#include <memory>
#include <string>

#include "appliance/config/config.h"
#include "appliance/delivery_service.h"
#include "appliance/directory_service.h"
#include "appliance/dkim_keys.h"
#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "appliance/log/logger.h"
#include "appliance/log_mail_bodies.h"
#include "appliance/node_storage.h"
#include "appliance/retention_job.h"
#include "appliance/routing_service.h"
#include "appliance/routing_webhook.h"
#include "appliance/smtp/smtp_service.h"

namespace lifeboat {

class NodeServices {
 public:
  // Starts the directory (its first import is a diff against the caught-up view), the retention
  // job, and the SMTP listener. Errors: the import file or the listener (port in use, TLS files).
  static Result<std::unique_ptr<NodeServices>> Start(const config::Config& config, Env& env,
                                                     Logger& logger, NodeStorage& storage);
  ~NodeServices();
  NodeServices(const NodeServices&) = delete;
  NodeServices& operator=(const NodeServices&) = delete;

  // SIGTERM's first step: SMTP accepts no new sessions, directory syncs and retention runs stop.
  // Sessions in flight go on. Idempotent.
  void StopAccepting();
  // Messages proposed by SMTP and not yet answered (their proposal durable or failed).
  bool MessagesInFlight() const;

  // "" when [smtp] is not configured.
  std::string smtp_address() const { return smtp_ ? smtp_->bound_address() : ""; }
  // Null when [smtp] is not configured.
  const smtp_driver::SmtpService* smtp() const { return smtp_.get(); }
  DirectoryService& directory() { return *directory_; }
  const DirectoryService& directory() const { return *directory_; }
  // Null when [routing] is not configured.
  RoutingService* routing() { return routing_.get(); }
  const RoutingService* routing() const { return routing_.get(); }
  // Null when [routing] is not configured.
  const DeliveryService* delivery() const { return delivery_.get(); }
  // Null without [dkim] keys.
  delivery::DkimSigner* dkim() { return dkim_.get(); }
  // SIGHUP: re-reads the TLS certificate and key. FailedPrecondition without a TLS listener.
  Status ReloadTls();

 private:
  NodeServices(Env& env, Logger& logger) : env_(env), logger_(logger) {}
  Status StartDelivery(const config::Config& config, NodeStorage& storage);

  Env& env_;
  Logger& logger_;
  // Sessions and syncs hold the proposer; they go before the storage.
  std::unique_ptr<DirectoryService> directory_;
  std::unique_ptr<RetentionJob> retention_;
  std::unique_ptr<RoutingWebhook> routing_webhook_;  // outlives routing_, which notifies it
  std::unique_ptr<RoutingService> routing_;
  std::unique_ptr<LogMailBodies> bodies_;
  std::unique_ptr<DeliveryService> delivery_;
  // Storage's applied listeners outlive the services: they check this first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Null without [dkim]; loaded at start so that a bad key stops the node (dkim_keys.h). The
  // outbound delivery driver signs with it.
  std::unique_ptr<delivery::DkimSigner> dkim_;
  std::unique_ptr<smtp_driver::SmtpService> smtp_;
};

}  // namespace lifeboat
