#pragma once
// One SMTP session on one connection: the glue between a ByteStream (bytes, TLS; network.h) and
// a smtp::Session (the dialogue). It performs the session's actions in order. Owned by
// SmtpServer; it asks the server to forget it once the stream is closed.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "appliance/env/network.h"
#include "appliance/smtp/mail_intake.h"
#include "eventlog/events.pb.h"
#include "modules/smtp/policy/admission.h"
#include "modules/smtp/session.h"

namespace lifeboat::smtp_driver {

class SmtpServer;

class SmtpConnection : public ByteStream::Handler {
 public:
  // `policy` (the listener's, or its journal policy) must outlive the connection.
  SmtpConnection(SmtpServer& server, uint64_t id, smtp::SessionAdmission::Ticket ticket,
                 smtp::PeerInfo peer, const smtp::PolicyChain& policy, events::MailSource source);
  ~SmtpConnection() override;

  // Takes the accepted stream and starts the session (greeting).
  void Begin(std::unique_ptr<ByteStream> stream);

  void OnBytes(std::string_view bytes) override;
  void OnTlsEstablished(const TlsSessionFacts& facts) override;
  void OnClosed(std::string_view reason) override;

 private:
  void Perform();
  void PerformEach(std::vector<smtp::Action>& actions);
  void Propose(smtp::MailProposal mail);
  // The server's intake executor: files the mail (planner) and builds its MailReceived event.
  static events::Event BuildEvent(const DeliveryPlanner* planner, events::MailSource source,
                                  smtp::MailProposal mail, const std::string& mail_id);
  // Loop thread, once the executor built the event: proposes it.
  void ProposeBuilt(events::Event event, std::string mail_id);
  void OnCommitted(Result<uint64_t> index, std::string mail_id);
  void OnDeadlineTimer();
  void UpdateReading();

  SmtpServer& server_;
  const uint64_t id_;
  const events::MailSource source_;
  smtp::SessionAdmission::Ticket ticket_;
  smtp::Session session_;
  std::unique_ptr<ByteStream> stream_;
  std::optional<TimerId> deadline_timer_;
  bool closed_ = false;
  // Shared with in-flight proposal callbacks: they may outlive this connection.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeboat::smtp_driver
