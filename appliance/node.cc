#include "appliance/node.h"

#include "appliance/admin/admin_token.h"
#include "appliance/version.h"
#include "appliance/webmail/ui_files.h"
#include "eventlog/raft/raft_c.h"

namespace lifeboat {

namespace {

constexpr std::string_view kComponent = "node";

}  // namespace

NodeStorageOptions StorageOptionsFromConfig(const config::Config& config) {
  NodeStorageOptions options;
  options.data_dir = config.node.data_dir;
  options.identity = NodeIdentity{config.node.cluster_id, config.node.id, kDataDirSchemaVersion};
  options.accepted_domains = config.smtp.domains;
  options.disk_reserve_bytes = static_cast<uint64_t>(config.smtp.disk_reserve_bytes);
  options.disk_ballast_bytes = static_cast<uint64_t>(config.smtp.disk_ballast_bytes);
  options.group_commit.batch_bytes_max =
      static_cast<size_t>(config.eventlog.group_commit_batch_bytes_max);
  if (config.cluster.enabled) {
    NodeClusterOptions cluster;
    cluster.node_id = config.cluster.node_id;
    cluster.listen = config.cluster.listen;
    for (const config::ClusterMember& member : config.cluster.members) {
      // A standby replicates and never votes (libraft's RAFT_STANDBY).
      cluster.members.push_back(eventlog::raft::RaftServer{
          member.id, member.address, member.voter ? RAFT_VOTER : RAFT_STANDBY});
    }
    cluster.tls.own.certificate_chain_path = config.cluster.certificate;
    cluster.tls.own.private_key_path = config.cluster.private_key;
    cluster.tls.ca_certificate_path = config.cluster.ca_certificate;
    options.cluster = std::move(cluster);
  }
  return options;
}

Node::Node(const config::Config& config, LibeventEnv& env, Logger& logger)
    : config_(config), env_(env), logger_(logger) {}

Node::~Node() {
  if (!shut_down_) (void)Shutdown();
}

Result<std::unique_ptr<Node>> Node::Start(const config::Config& config, LibeventEnv& env,
                                          Logger& logger) {
  std::unique_ptr<Node> node(new Node(config, env, logger));
  Status status = node->Open();
  if (!status.ok()) {
    (void)node->Shutdown();
    return status;
  }
  return node;
}

Status Node::Open() {
  auto storage = NodeStorage::Open(StorageOptionsFromConfig(config_), env_, logger_);
  if (!storage.ok()) return storage.status();
  storage_ = std::move(storage).value();
  auto services = NodeServices::Start(config_, env_, logger_, *storage_);
  if (!services.ok()) return services.status();
  services_ = std::move(services).value();
  LB_RETURN_IF_ERROR(StartAdmin());
  LB_RETURN_IF_ERROR(StartWebmail());
  logger_.Info(kComponent, "started",
               {{"node_id", config_.node.id},
                {"cluster_id", config_.node.cluster_id},
                {"version", kLifeboatVersion},
                {"data_dir", config_.node.data_dir},
                {"admin", admin::HostPort(config_.admin.host, admin_server_->port())},
                {"smtp", smtp_address()},
                {"webmail", webmail_url()},
                {"log_last_index", storage_->log().last_index()},
                {"applied_index", storage_->applied_index()}});
  return Status::Ok();
}

Status Node::StartAdmin() {
  auto token = admin::LoadOrCreateAdminToken(
      config_.node.data_dir + "/" + std::string(admin::kAdminTokenFileName), env_);
  if (!token.ok()) return token.status();
  admin_token_ = std::move(token).value();
  admin_backend_ =
      std::make_unique<NodeAdminBackend>(config_, env_, logger_, *storage_, *services_);
  admin_router_ = std::make_unique<admin::AdminRouter>(*admin_backend_, admin_token_);
  auto server =
      admin::AdminServer::Start(env_, config_.admin.host, config_.admin.port, *admin_router_);
  if (!server.ok()) return server.status();
  admin_server_ = std::move(server).value();
  admin_backend_->SetAdminPort(admin_server_->port());
  // Status requests that wait for an applied index are answered as the projections advance.
  storage_->AddAppliedListener(
      [server = admin_server_.get(), backend = admin_backend_.get()](uint64_t applied_index) {
        server->NotifyApplied(applied_index);
        backend->NotifyApplied(applied_index);
      });
  return Status::Ok();
}

Status Node::StartWebmail() {
  if (!config_.webmail.enabled) return Status::Ok();
  webmail::WebmailServerOptions options;
  options.host = config_.webmail.host;
  options.port = config_.webmail.port;
  options.tls = {*config_.tls.certificate, *config_.tls.private_key};
  options.origin = config_.webmail.origin;
  const std::string ui_dir =
      config_.webmail.ui_dir.empty() ? webmail::DefaultUiDir() : config_.webmail.ui_dir;
  if (ui_dir.empty()) {
    logger_.Warn(kComponent, "no webmail UI found: serving the JSON API only", {});
  } else {
    auto ui = webmail::LoadUiFiles(ui_dir);
    if (!ui.ok()) return ui.status();
    options.ui = std::move(ui).value();
    logger_.Info(kComponent, "webmail UI loaded", {{"dir", ui_dir}});
  }
  if (config_.webmail.connections_per_address_max > 0) {
    options.limits.connections_per_address_max = config_.webmail.connections_per_address_max;
  }
  if (config_.webmail.requests_per_address_per_minute_max > 0) {
    options.limits.requests_per_address_per_minute_max =
        static_cast<uint32_t>(config_.webmail.requests_per_address_per_minute_max);
  }
  auto server =
      webmail::WebmailServer::Start(env_, std::move(options), *storage_->projections().auth_view,
                                    *storage_->projections().directory_view, storage_->proposer(),
                                    storage_->state(), storage_->log());
  if (!server.ok()) return server.status();
  webmail_server_ = std::move(server).value();
  webmail_server_->NotifyApplied(storage_->applied_index());
  // A login's reply waits until its session is applied (the next request must find it).
  storage_->AddAppliedListener([server = webmail_server_.get()](uint64_t applied_index) {
    server->NotifyApplied(applied_index);
  });
  return Status::Ok();
}

std::string Node::webmail_url() const {
  if (webmail_server_ == nullptr) return "";
  return webmail_server_->origin() + "/";
}

Status Node::ReloadTls() {
  Status smtp = services_->ReloadTls();
  if (webmail_server_ == nullptr) return smtp;
  Status webmail = webmail_server_->ReloadTls();
  if (!webmail.ok()) {
    logger_.Error(kComponent, "webmail TLS reload failed; the old certificate keeps serving",
                  {{"error", webmail.ToString()}});
  }
  // Without [smtp], SMTP's FailedPrecondition is not an error of the webmail's reload.
  if (smtp.code() == StatusCode::kFailedPrecondition) return webmail;
  return smtp.ok() ? webmail : smtp;
}

void Node::BeginDrain(std::function<void()> drained) {
  drained_ = std::move(drained);
  if (services_) services_->StopAccepting();
  drain_deadline_ = env_.MonotonicNow() + kDrainTimeout;
  CheckDrained();
}

void Node::CheckDrained() {
  const bool in_flight = services_ != nullptr && services_->MessagesInFlight();
  if (in_flight && env_.MonotonicNow() < drain_deadline_) {
    drain_timer_ = env_.StartTimer(kDrainPollInterval, [this] { CheckDrained(); });
    return;
  }
  // One more poll interval lets the last replies leave the socket buffers.
  drain_timer_ = env_.StartTimer(kDrainPollInterval, [this] {
    if (drained_) drained_();
  });
}

Status Node::Shutdown() {
  if (shut_down_) return Status::Ok();
  shut_down_ = true;
  env_.CancelTimer(drain_timer_);
  if (admin_server_) admin_server_->Stop();
  if (webmail_server_) webmail_server_->Stop();
  if (admin_backend_) admin_backend_->Stop();  // reads in flight finish before the stores close
  if (services_) services_->StopAccepting();
  const bool started = admin_router_ != nullptr;
  Status result = Status::Ok();
  uint64_t last = 0;
  uint64_t applied = 0;
  if (storage_) {
    result = storage_->Shutdown([this] { env_.RunPending(); });
    last = storage_->log().last_index();
    applied = storage_->applied_index();
  }
  // The admin server's listener goes before the storage: it notifies on apply.
  admin_server_.reset();
  webmail_server_.reset();
  admin_router_.reset();
  admin_backend_.reset();
  // Sessions and syncs hold the proposer: they go before the storage.
  services_.reset();
  storage_.reset();
  if (started) {
    logger_.Info(kComponent, "stopped", {{"log_last_index", last}, {"applied_index", applied}});
  }
  return result;
}

}  // namespace lifeboat
