#include "appliance/smtp/smtp_service.h"

#include <set>
#include <utility>

#include "modules/mailbox/journal.h"

namespace lifeboat::smtp_driver {

namespace {

// The journal chain's resolver: a journal source addresses its copies to a journal mailbox that
// is nobody's; who the mail belongs to is read from the copy itself.
class AnyRecipientResolver : public smtp::RecipientResolver {
 public:
  smtp::RecipientVerdict Resolve(std::string_view) const override {
    return smtp::RecipientVerdict::kMailbox;
  }
};

// A journal source sends as fast as its journal backlog allows; it is trusted by configuration.
constexpr uint32_t kJournalMessageBurstMax = 1'000'000;

}  // namespace

PlannedMail DirectoryDeliveryPlanner::Plan(const smtp::MailProposal& mail,
                                           events::MailSource source) const {
  PlannedMail plan;
  if (source == events::MAIL_SOURCE_JOURNAL) {
    mailbox::AddressResolver resolve = [this](std::string_view address) {
      mailbox::AddressResolution resolution;
      resolution.is_list = directory_.Resolve(address) == smtp::RecipientVerdict::kList;
      resolution.mailbox_ids = directory_.MailboxesFor(address);
      return resolution;
    };
    mailbox::OriginalEnvelope envelope;
    envelope.mail_from = mail.mail_from;  // always_bcc keeps the original sender
    for (const std::string& recipient : mail.rcpt_to) {
      // recipient_bcc_maps copies name the original recipients (journal.h): Bcc included.
      if (auto original = mailbox::DecodeJournalRecipient(recipient)) {
        envelope.rcpt_to.push_back(std::move(*original));
      }
    }
    mailbox::JournalIntake intake = mailbox::IntakeJournalMessage(
        mail.raw, mailbox::JournalFormat::kExchangeEnvelopeReport, resolve, &envelope);
    plan.deliveries = std::move(intake.deliveries);
    if (intake.format == mailbox::JournalFormat::kExchangeEnvelopeReport) {
      plan.replacement_raw = std::move(intake.original);
    }
    return plan;
  }
  std::set<std::string> mailboxes;
  for (const std::string& recipient : mail.rcpt_to) {
    for (std::string& id : directory_.MailboxesFor(recipient)) mailboxes.insert(std::move(id));
  }
  for (const std::string& id : mailboxes) {
    events::MailDelivery delivery;
    delivery.set_mailbox_id(id);
    delivery.set_folder("Inbox");
    plan.deliveries.push_back(std::move(delivery));
  }
  // A recipient the policy accepted but nobody's mailbox holds (a relayed recipient from a
  // trusted network) still leaves the mail in the log for the delivery engine.
  return plan;
}

Result<std::unique_ptr<SmtpService>> SmtpService::Start(const config::Config& config, Env& env,
                                                        eventlog::Proposer& proposer,
                                                        const directory::DirectoryView& directory,
                                                        const StorageGuard& storage) {
  const config::SmtpConfig& smtp = config.smtp;
  LB_CHECK(smtp.enabled);
  std::unique_ptr<SmtpService> service(new SmtpService());
  if (config.tls.certificate.has_value()) {
    auto tls = env.network().LoadServerTls({*config.tls.certificate, *config.tls.private_key});
    if (!tls.ok()) return tls.status();
    service->tls_ = std::move(tls).value();
  }
  service->admission_ = std::make_unique<smtp::SessionAdmission>(
      static_cast<size_t>(smtp.sessions_per_ip_max), static_cast<size_t>(smtp.sessions_total_max));
  smtp::PolicyConfig policy_config;
  policy_config.sessions_per_ip_max = static_cast<size_t>(smtp.sessions_per_ip_max);
  policy_config.sessions_total_max = static_cast<size_t>(smtp.sessions_total_max);
  policy_config.message_burst_per_ip_max = static_cast<uint32_t>(smtp.message_burst_per_ip_max);
  // message_interval_per_ip_ms = 0 means no rate limit (a trusted bench or journal source):
  // the limiter needs a positive interval, so the bucket gets one it refills within at once.
  policy_config.message_interval_per_ip =
      smtp.message_interval_per_ip_ms == 0
          ? Duration(1)
          : Duration(std::chrono::milliseconds(smtp.message_interval_per_ip_ms));
  policy_config.trusted_networks = smtp.trusted_networks;
  service->rate_limiter_ = std::make_unique<smtp::MessageRateLimiter>(
      policy_config.message_burst_per_ip_max, policy_config.message_interval_per_ip,
      policy_config.rate_tracked_clients_max);
  auto policy = smtp::BuildDefaultPolicy(policy_config, directory, *service->rate_limiter_);
  if (!policy.ok()) return policy.status();
  service->policy_ = std::move(policy).value();
  service->planner_ = std::make_unique<DirectoryDeliveryPlanner>(directory);
  service->policy_->chain.Add(std::make_unique<StorageFilter>(storage));

  JournalSources journal;
  if (!smtp.journal_networks.empty()) {
    auto networks = smtp::CidrList::Parse(smtp.journal_networks);
    if (!networks.ok()) return networks.status();
    service->journal_networks_ = std::make_unique<smtp::CidrList>(std::move(networks).value());
    service->journal_resolver_ = std::make_unique<AnyRecipientResolver>();
    smtp::PolicyConfig journal_config = policy_config;
    journal_config.trusted_networks = smtp.journal_networks;
    journal_config.message_burst_per_ip_max = kJournalMessageBurstMax;
    journal_config.message_interval_per_ip = Duration(1);
    service->journal_rate_limiter_ = std::make_unique<smtp::MessageRateLimiter>(
        journal_config.message_burst_per_ip_max, journal_config.message_interval_per_ip,
        journal_config.rate_tracked_clients_max);
    auto journal_policy = smtp::BuildDefaultPolicy(journal_config, *service->journal_resolver_,
                                                   *service->journal_rate_limiter_);
    if (!journal_policy.ok()) return journal_policy.status();
    service->journal_policy_ = std::move(journal_policy).value();
    service->journal_policy_->chain.Add(std::make_unique<StorageFilter>(storage));
    journal = {service->journal_networks_.get(), &service->journal_policy_->chain};
  }

  SmtpServer::Options options;
  options.listen_address = smtp.listen;
  options.session.hostname = smtp.hostname;
  options.session.postmaster_domain = smtp.domains.front();
  options.session.limits.message_bytes_max = static_cast<uint64_t>(smtp.message_bytes_max);
  options.session.limits.recipients_per_message_max =
      static_cast<size_t>(smtp.recipients_per_message_max);
  options.node_id = config.node.id;
  MailIntake intake{&proposer, service->planner_.get(), &storage};
  auto server = SmtpServer::Start(env, std::move(options), service->tls_.get(),
                                  service->policy_->chain, *service->admission_, intake, journal);
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
