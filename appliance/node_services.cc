#include "appliance/node_services.h"

namespace lifeboat {

namespace {

constexpr std::string_view kComponent = "node";

}  // namespace

Result<std::unique_ptr<NodeServices>> NodeServices::Start(const config::Config& config, Env& env,
                                                          Logger& logger, NodeStorage& storage) {
  std::unique_ptr<NodeServices> services(new NodeServices(env, logger));
  NodeProjections& projections = storage.projections();
  services->directory_ =
      std::make_unique<DirectoryService>(config.directory, env, logger, storage.proposer(),
                                         *projections.directory_view, *projections.directory);
  LB_RETURN_IF_ERROR(services->directory_->Start());
  if (config.mailbox.retention_days > 0) {
    services->retention_ =
        std::make_unique<RetentionJob>(env, logger, storage.state(), storage.proposer(),
                                       static_cast<uint32_t>(config.mailbox.retention_days));
    services->retention_->Start();
  }
  if (!config.dkim.keys.empty()) {
    auto dkim = LoadDkimSigner(config.dkim);
    if (!dkim.ok()) return dkim.status();
    services->dkim_ = std::move(dkim).value();
  }
  if (config.routing.enabled) {
    services->routing_ = std::make_unique<RoutingService>(
        config.routing, env, logger, storage.proposer(), *projections.routing_table);
    if (!config.routing.webhook_url.empty()) {
      WebhookTarget target;
      target.address = config.routing.webhook_address;
      target.host = config.routing.webhook_address;
      target.path = config.routing.webhook_path;
      services->routing_webhook_ = std::make_unique<RoutingWebhook>(env, logger, target);
      services->routing_->set_committed_observer(
          [webhook = services->routing_webhook_.get()](const events::RoutingChanged& change,
                                                       uint64_t index) {
            webhook->Notify(change, index);
          });
    }
    services->routing_->Start();
    LB_RETURN_IF_ERROR(services->StartDelivery(config, storage));
  }
  if (config.smtp.enabled) {
    auto smtp = smtp_driver::SmtpService::Start(
        config, env, storage.proposer(), *projections.directory_view, storage.disk_reserve());
    if (!smtp.ok()) {
      return Status(smtp.status().code(), "SMTP listener: " + smtp.status().message());
    }
    services->smtp_ = std::move(smtp).value();
  }
  return services;
}

Status NodeServices::StartDelivery(const config::Config& config, NodeStorage& storage) {
  NodeProjections& projections = storage.projections();
  bodies_ = std::make_unique<LogMailBodies>(storage.log());
  DeliveryServiceDeps deps;
  deps.env = &env_;
  deps.logger = &logger_;
  deps.proposer = &storage.proposer();
  deps.view = projections.queue_view.get();
  deps.table = projections.routing_table.get();
  deps.bodies = bodies_.get();
  deps.routing = routing_.get();
  delivery_ = std::make_unique<DeliveryService>(config.delivery, config.routing, deps);
  Status started = delivery_->Start();
  if (!started.ok()) return Status(started.code(), "delivery: " + started.message());
  // New mails and routing changes reach the driver as their batches are folded.
  storage.AddAppliedListener([delivery = delivery_.get(), alive = alive_](uint64_t) {
    if (*alive) delivery->OnApplied();
  });
  return Status::Ok();
}

NodeServices::~NodeServices() {
  *alive_ = false;
  StopAccepting();
  // Sessions before the directory: they read its view through the policy chain.
  smtp_.reset();
  retention_.reset();
  delivery_.reset();  // before routing: it tells routing when failback is drained
  routing_.reset();
  routing_webhook_.reset();
  directory_.reset();
}

void NodeServices::StopAccepting() {
  if (smtp_) smtp_->StopAccepting();
  if (directory_) directory_->Stop();
  if (retention_) retention_->Stop();
  if (delivery_) delivery_->Stop();
  if (routing_) routing_->Stop();
}

bool NodeServices::MessagesInFlight() const {
  if (smtp_ == nullptr) return false;
  const auto& stats = smtp_->server().stats();
  return stats.messages_proposed > stats.messages_committed + stats.messages_failed;
}

Status NodeServices::ReloadTls() {
  if (smtp_ == nullptr) return Status::FailedPrecondition("no TLS listener configured");
  Status reloaded = smtp_->ReloadTls();
  if (reloaded.ok()) {
    logger_.Info(kComponent, "TLS certificate reloaded", {});
  } else {
    logger_.Error(kComponent, "TLS reload failed; the old certificate keeps serving",
                  {{"error", reloaded.ToString()}});
  }
  return reloaded;
}

}  // namespace lifeboat
