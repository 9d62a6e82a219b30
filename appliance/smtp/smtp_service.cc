#include "appliance/smtp/smtp_service.h"

#include <sys/statvfs.h>

#include <set>
#include <utility>

namespace lifeboat::smtp_driver {

std::vector<events::MailDelivery> DirectoryDeliveryPlanner::Plan(const smtp::MailProposal& mail,
                                                                 events::MailSource) const {
  std::set<std::string> mailboxes;
  for (const std::string& recipient : mail.rcpt_to) {
    for (std::string& id : directory_.MailboxesFor(recipient)) mailboxes.insert(std::move(id));
  }
  std::vector<events::MailDelivery> deliveries;
  for (const std::string& id : mailboxes) {
    events::MailDelivery delivery;
    delivery.set_mailbox_id(id);
    delivery.set_folder("Inbox");
    deliveries.push_back(std::move(delivery));
  }
  // A recipient the policy accepted but nobody's mailbox holds (a relayed recipient from a
  // trusted network) still leaves the mail in the log for the delivery engine.
  return deliveries;
}

DiskReserveGuard::DiskReserveGuard(Env& env, std::string path, uint64_t reserve_bytes)
    : env_(env), path_(std::move(path)), reserve_bytes_(reserve_bytes) {
  Sample();
}

DiskReserveGuard::~DiskReserveGuard() {
  env_.CancelTimer(timer_);
}

void DiskReserveGuard::Sample() {
  struct statvfs stats {};
  if (::statvfs(path_.c_str(), &stats) == 0) {
    // f_bavail: blocks available to an unprivileged user, which is what the service runs as.
    free_bytes_ = static_cast<uint64_t>(stats.f_bavail) * stats.f_frsize;
    accepts_ = free_bytes_ >= reserve_bytes_;
  }
  timer_ = env_.StartTimer(kDiskReserveCheckInterval, [this] { Sample(); });
}

Result<std::unique_ptr<SmtpService>> SmtpService::Start(const config::Config& config,
                                                        LibeventEnv& env,
                                                        eventlog::Proposer& proposer,
                                                        const directory::DirectoryView& directory) {
  const config::SmtpConfig& smtp = config.smtp;
  LB_CHECK(smtp.enabled);
  std::unique_ptr<SmtpService> service(new SmtpService());
  if (config.tls.certificate.has_value()) {
    auto tls = net::ServerTlsContext::Load({*config.tls.certificate, *config.tls.private_key});
    if (!tls.ok()) return tls.status();
    service->tls_ = std::move(tls).value();
  }
  service->admission_ = std::make_unique<smtp::SessionAdmission>(
      static_cast<size_t>(smtp.sessions_per_ip_max), static_cast<size_t>(smtp.sessions_total_max));
  smtp::PolicyConfig policy_config;
  policy_config.sessions_per_ip_max = static_cast<size_t>(smtp.sessions_per_ip_max);
  policy_config.sessions_total_max = static_cast<size_t>(smtp.sessions_total_max);
  policy_config.message_burst_per_ip_max = static_cast<uint32_t>(smtp.message_burst_per_ip_max);
  policy_config.message_interval_per_ip =
      std::chrono::milliseconds(smtp.message_interval_per_ip_ms);
  policy_config.trusted_networks = smtp.trusted_networks;
  service->rate_limiter_ = std::make_unique<smtp::MessageRateLimiter>(
      policy_config.message_burst_per_ip_max, policy_config.message_interval_per_ip,
      policy_config.rate_tracked_clients_max);
  auto policy = smtp::BuildDefaultPolicy(policy_config, directory, *service->rate_limiter_);
  if (!policy.ok()) return policy.status();
  service->policy_ = std::move(policy).value();
  service->planner_ = std::make_unique<DirectoryDeliveryPlanner>(directory);
  service->disk_ = std::make_unique<DiskReserveGuard>(
      env, config.node.data_dir, static_cast<uint64_t>(smtp.disk_reserve_bytes));

  SmtpServer::Options options;
  options.listen_address = smtp.listen;
  options.session.hostname = smtp.hostname;
  options.session.postmaster_domain = smtp.domains.front();
  options.session.limits.message_bytes_max = static_cast<uint64_t>(smtp.message_bytes_max);
  options.session.limits.recipients_per_message_max =
      static_cast<size_t>(smtp.recipients_per_message_max);
  options.node_id = config.node.id;
  MailIntake intake{&proposer, service->planner_.get(), service->disk_.get()};
  auto server = SmtpServer::Start(env, std::move(options), service->tls_.get(),
                                  service->policy_->chain, *service->admission_, intake);
  if (!server.ok()) return server.status();
  service->server_ = std::move(server).value();
  return service;
}

SmtpService::~SmtpService() {
  // Connections reference the policy and admission: the server (and its sessions) go first.
  server_.reset();
}

Status SmtpService::ReloadTls() {
  if (tls_ == nullptr) return Status::FailedPrecondition("no [tls] certificate configured");
  return tls_->Reload();
}

}  // namespace lifeboat::smtp_driver
