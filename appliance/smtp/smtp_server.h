#pragma once
// The SMTP listener of the node: the driver around the sans-I/O session core
// (modules/smtp/session.h). It listens through the Env's network (appliance/env/network.h, so
// the same driver runs on libevent sockets or a simulated network), asks admission, feeds bytes
// and times into a Session per connection and performs the actions that come out: send,
// STARTTLS, close, arm the deadline, and propose the accepted message as a MailReceived event,
// answering the client only once the proposer reports it durable (DESIGN.md "Data path" 3).
//
// Ownership: the node owns the server; the server owns its connections. `env`, the TLS
// credentials (made by env.network()), the policy and the intake outlive it. Loop thread only.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "appliance/env/env.h"
#include "appliance/env/network.h"
#include "appliance/smtp/mail_intake.h"
#include "modules/smtp/policy/admission.h"
#include "modules/smtp/policy/chain.h"
#include "modules/smtp/policy/cidr.h"
#include "modules/smtp/session.h"

namespace lifeboat::smtp_driver {

class SmtpConnection;

struct SmtpServerStats {
  uint64_t sessions_accepted = 0;
  uint64_t sessions_refused = 0;
  uint64_t messages_proposed = 0;
  uint64_t messages_committed = 0;
  uint64_t messages_failed = 0;
};

// Journal sources (an Exchange journal rule, Postfix always_bcc): sessions from these peers
// run `policy` (which accepts the journal recipient) and their mail is filed as history.
struct JournalSources {
  const smtp::CidrList* networks = nullptr;
  const smtp::PolicyChain* policy = nullptr;
};

class SmtpServer {
 public:
  struct Options {
    std::string listen_address;   // "0.0.0.0:25"
    smtp::SessionConfig session;  // hostname, limits; tls_available set from `tls`
    events::MailSource source = events::MAIL_SOURCE_SMTP_INBOUND;
    std::string node_id;  // prefixes mail ids so they are unique in a cluster
  };

  static Result<std::unique_ptr<SmtpServer>> Start(Env& env, Options options, const ServerTls* tls,
                                                   const smtp::PolicyChain& policy,
                                                   smtp::SessionAdmission& admission,
                                                   MailIntake intake, JournalSources journal = {});
  ~SmtpServer();

  const std::string& bound_address() const { return listener_->bound_address(); }
  size_t open_sessions() const { return connections_.size(); }
  const SmtpServerStats& stats() const { return stats_; }
  // Stops accepting; open sessions continue until they end.
  void StopAccepting();

 private:
  friend class SmtpConnection;
  class Refusal;
  SmtpServer(Env& env, Options options, const ServerTls* tls, const smtp::PolicyChain& policy,
             smtp::SessionAdmission& admission, MailIntake intake, JournalSources journal);
  void Accept(std::unique_ptr<ByteStream> stream);
  void Refuse(std::unique_ptr<ByteStream> stream);
  void Forget(uint64_t connection_id);
  std::string NewMailId();

  Env& env_;
  Options options_;
  const ServerTls* tls_;
  const smtp::PolicyChain& policy_;
  smtp::SessionAdmission& admission_;
  MailIntake intake_;
  JournalSources journal_;
  std::unique_ptr<NetworkListener> listener_;
  uint64_t next_connection_id_ = 1;
  std::map<uint64_t, std::unique_ptr<SmtpConnection>> connections_;
  // Refused connections until their 421 has left (ids shared with connections_).
  std::map<uint64_t, std::unique_ptr<Refusal>> refusals_;
  SmtpServerStats stats_;
  // Plans accepted mail and builds its event off the loop (smtp_connection.cc Propose). Last, so
  // destroyed first: it drains before anything it borrows (the planner) goes.
  std::unique_ptr<SerialExecutor> intake_executor_ = env_.NewSerialExecutor("lb-smtp-intake");
};

}  // namespace lifeboat::smtp_driver
