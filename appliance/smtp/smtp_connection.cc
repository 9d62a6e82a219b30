#include "appliance/smtp/smtp_connection.h"

#include <openssl/sha.h>

#include "appliance/smtp/smtp_server.h"

namespace lifeboat::smtp_driver {

SmtpConnection::SmtpConnection(SmtpServer& server, uint64_t id,
                               smtp::SessionAdmission::Ticket ticket, smtp::PeerInfo peer,
                               const smtp::PolicyChain& policy, events::MailSource source)
    : server_(server),
      id_(id),
      source_(source),
      ticket_(std::move(ticket)),
      session_(server.options_.session, policy, std::move(peer)) {}

SmtpConnection::~SmtpConnection() {
  *alive_ = false;
  if (deadline_timer_) server_.env_.CancelTimer(*deadline_timer_);
}

void SmtpConnection::Begin(std::unique_ptr<ByteStream> stream) {
  stream_ = std::move(stream);
  stream_->Start(this);
  session_.Start(server_.env_.MonotonicNow());
  Perform();
}

void SmtpConnection::OnBytes(std::string_view bytes) {
  if (closed_) return;
  session_.OnBytes(bytes, server_.env_.MonotonicNow(), server_.env_.WallNow());
  Perform();
}

void SmtpConnection::OnTlsEstablished(const TlsSessionFacts& facts) {
  if (closed_) return;
  session_.OnTlsEstablished(smtp::TlsFacts{facts.version, facts.cipher},
                            server_.env_.MonotonicNow());
  Perform();
}

void SmtpConnection::OnClosed(std::string_view) {
  if (closed_) return;
  closed_ = true;
  // Deleting ourselves inside a libevent callback would free the bufferevent under its feet.
  server_.env_.Post([server = &server_, id = id_] { server->Forget(id); });
}

void SmtpConnection::Perform() {
  // Performing an action can make the session queue more (a refused proposal answers at once):
  // take actions until none is left.
  for (std::vector<smtp::Action> actions = session_.TakeActions(); !actions.empty();
       actions = session_.TakeActions()) {
    PerformEach(actions);
    if (closed_) return;
  }
  UpdateReading();
}

void SmtpConnection::PerformEach(std::vector<smtp::Action>& actions) {
  for (smtp::Action& action : actions) {
    if (closed_) return;
    if (auto* send = std::get_if<smtp::SendBytes>(&action)) {
      stream_->Write(send->bytes);
    } else if (std::holds_alternative<smtp::StartTls>(action)) {
      Status started = server_.tls_ == nullptr ? Status::Unavailable("no TLS")
                                               : stream_->StartTls(*server_.tls_);
      if (!started.ok()) stream_->CloseAfterFlush();
    } else if (std::holds_alternative<smtp::CloseConnection>(action)) {
      stream_->CloseAfterFlush();
    } else if (auto* arm = std::get_if<smtp::ArmDeadline>(&action)) {
      if (deadline_timer_) server_.env_.CancelTimer(*deadline_timer_);
      Duration after = std::max(Duration::zero(), arm->deadline - server_.env_.MonotonicNow());
      deadline_timer_ = server_.env_.StartTimer(after, [this] { OnDeadlineTimer(); });
    } else if (auto* propose = std::get_if<smtp::ProposeMail>(&action)) {
      Propose(std::move(propose->mail));
    }
  }
}

void SmtpConnection::UpdateReading() {
  if (closed_ || stream_ == nullptr) return;
  if (session_.input_paused()) {
    stream_->PauseReading();
  } else {
    stream_->ResumeReading();
  }
}

void SmtpConnection::OnDeadlineTimer() {
  deadline_timer_.reset();
  if (closed_) return;
  session_.OnDeadline(server_.env_.MonotonicNow());
  Perform();
}

void SmtpConnection::Propose(smtp::MailProposal mail) {
  const MailIntake& intake = server_.intake_;
  if (intake.storage != nullptr && !intake.storage->AcceptsNewMail()) {
    session_.OnMailCommitted(smtp::CommitOutcome::kDiskReserve, "", server_.env_.MonotonicNow(),
                             server_.env_.WallNow());
    return;  // Perform() takes the 452 the session just queued on its next round
  }
  std::string mail_id = server_.NewMailId();
  PlannedMail plan;
  if (intake.planner != nullptr) plan = intake.planner->Plan(mail, source_);
  if (plan.replacement_raw.has_value()) mail.raw = std::move(*plan.replacement_raw);
  events::Event event;
  events::MailReceived* received = event.mutable_mail_received();
  received->set_mail_id(mail_id);
  received->set_mail_from(mail.mail_from);
  for (const std::string& rcpt : mail.rcpt_to) received->add_rcpt_to(rcpt);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(mail.raw.data()), mail.raw.size(), digest);
  received->set_body_sha256(digest, sizeof digest);
  received->set_helo(mail.helo);
  received->set_peer_address(mail.peer_address);
  received->set_tls_version(mail.tls_version);
  received->set_tls_cipher(mail.tls_cipher);
  received->set_source(source_);
  received->set_smtputf8(mail.smtputf8);
  received->set_body_8bitmime(mail.body_8bitmime);
  for (events::MailDelivery& delivery : plan.deliveries) {
    *received->add_deliveries() = std::move(delivery);
  }
  received->set_raw(std::move(mail.raw));
  ++server_.stats_.messages_proposed;
  intake.proposer->Propose(
      std::move(event), [this, alive = alive_, mail_id](Result<uint64_t> index) {
        if (!*alive) return;  // the client left; the mail is stored all the same (or not, on error)
        OnCommitted(std::move(index), mail_id);
      });
}

void SmtpConnection::OnCommitted(Result<uint64_t> index, std::string mail_id) {
  smtp::CommitOutcome outcome = smtp::CommitOutcome::kCommitted;
  if (index.ok()) {
    ++server_.stats_.messages_committed;
  } else {
    ++server_.stats_.messages_failed;
    outcome = index.status().code() == StatusCode::kResourceExhausted
                  ? smtp::CommitOutcome::kDiskReserve
                  : smtp::CommitOutcome::kStorageError;
  }
  if (closed_) return;
  session_.OnMailCommitted(outcome, mail_id, server_.env_.MonotonicNow(), server_.env_.WallNow());
  Perform();
}

}  // namespace lifeboat::smtp_driver
