#pragma once
// Everything the node's SMTP listener needs, built from the [smtp] configuration: the TLS context
// (reloadable), session admission, the message-rate limiter, the default policy chain (recipients
// checked against the directory view), the delivery planner (lists expanded at acceptance), the
// storage check (new mail refused at RCPT and DATA below the disk reserve), and the SmtpServer.
//
// Ownership: the node owns the service; `env`, `proposer`, `directory` and `storage` outlive it.
// Loop thread only.

#include <memory>
#include <string>

#include "appliance/config/config.h"
#include "appliance/env/env.h"
#include "appliance/env/network.h"
#include "appliance/smtp/mail_intake.h"
#include "appliance/smtp/smtp_server.h"
#include "appliance/smtp/storage_filter.h"
#include "eventlog/proposer.h"
#include "modules/directory/directory_view.h"
#include "modules/smtp/policy/admission.h"
#include "modules/smtp/policy/default_chain.h"
#include "modules/smtp/policy/message_rate_limiter.h"

namespace lifeboat::smtp_driver {

// Inbound mail is filed in the Inbox of every mailbox its recipients reach (a list reaches the
// mailboxes of its members, nested lists included), each mailbox once. Journal mail (from a
// journal source) is history: an Exchange journal report is unwrapped to the original it
// carries, which is filed in the sender's Sent folder and each local recipient's Inbox; a
// Postfix always_bcc copy is filed the same way from its own headers (modules/mailbox/journal.h).
class DirectoryDeliveryPlanner : public DeliveryPlanner {
 public:
  explicit DirectoryDeliveryPlanner(const directory::DirectoryView& directory)
      : directory_(directory) {}
  PlannedMail Plan(const smtp::MailProposal& mail, events::MailSource source) const override;

 private:
  const directory::DirectoryView& directory_;
};

class SmtpService {
 public:
  // Listens and loads TLS through env.network().
  static Result<std::unique_ptr<SmtpService>> Start(const config::Config& config, Env& env,
                                                    eventlog::Proposer& proposer,
                                                    const directory::DirectoryView& directory,
                                                    const StorageGuard& storage);
  ~SmtpService();

  const std::string& bound_address() const { return server_->bound_address(); }
  const SmtpServer& server() const { return *server_; }
  // Re-reads the certificate and key (SIGHUP). On error the old ones keep serving.
  Status ReloadTls();
  void StopAccepting() { server_->StopAccepting(); }

 private:
  SmtpService() = default;
  std::unique_ptr<ServerTls> tls_;
  std::unique_ptr<smtp::SessionAdmission> admission_;
  std::unique_ptr<smtp::MessageRateLimiter> rate_limiter_;
  std::unique_ptr<smtp::DefaultPolicy> policy_;
  // Journal sources: their own chain (any recipient: the journal address is not a mailbox).
  std::unique_ptr<smtp::CidrList> journal_networks_;
  std::unique_ptr<smtp::RecipientResolver> journal_resolver_;
  std::unique_ptr<smtp::MessageRateLimiter> journal_rate_limiter_;
  std::unique_ptr<smtp::DefaultPolicy> journal_policy_;
  std::unique_ptr<DirectoryDeliveryPlanner> planner_;
  std::unique_ptr<SmtpServer> server_;
};

}  // namespace lifeboat::smtp_driver
