#include "appliance/smtp/smtp_connection.h"

#include "appliance/smtp/smtp_server.h"
#include "modules/mailbox/mail_received_event.h"

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
  // Planning (directory lookups, a journal report's MIME parse) and the event with its SHA-256
  // run on the server's intake executor, off the loop; the loop only proposes the result. The
  // task borrows the planner and the Env, which outlive the executor (smtp_server.h), and never
  // touches this connection: its result comes back by Post, checked against `alive_`.
  server_.intake_executor_->Submit([&env = server_.env_, planner = intake.planner, source = source_,
                                    mail = std::move(mail), mail_id, alive = alive_,
                                    this]() mutable {
    auto event =
        std::make_shared<events::Event>(BuildEvent(planner, source, std::move(mail), mail_id));
    env.Post([this, alive, event, mail_id = std::move(mail_id)]() mutable {
      // The client left before the event was built: nothing was acknowledged, so nothing is
      // proposed (the sender retries).
      if (!*alive) return;
      ProposeBuilt(std::move(*event), std::move(mail_id));
    });
  });
}

events::Event SmtpConnection::BuildEvent(const DeliveryPlanner* planner, events::MailSource source,
                                         smtp::MailProposal mail, const std::string& mail_id) {
  mailbox::FilingPlan plan;
  if (planner != nullptr) {
    PlannedMail planned = planner->Plan(mail, source);
    plan.deliveries = std::move(planned.deliveries);
    plan.replacement_raw = std::move(planned.replacement_raw);
  }
  mailbox::AcceptedMail accepted;
  accepted.mail_id = mail_id;
  accepted.mail_from = std::move(mail.mail_from);
  accepted.rcpt_to = std::move(mail.rcpt_to);
  accepted.raw = std::move(mail.raw);
  accepted.helo = std::move(mail.helo);
  accepted.peer_address = std::move(mail.peer_address);
  accepted.tls_version = std::move(mail.tls_version);
  accepted.tls_cipher = std::move(mail.tls_cipher);
  accepted.source = source;
  accepted.smtputf8 = mail.smtputf8;
  accepted.body_8bitmime = mail.body_8bitmime;
  return mailbox::BuildMailReceivedEvent(std::move(accepted), std::move(plan));
}

void SmtpConnection::ProposeBuilt(events::Event event, std::string mail_id) {
  ++server_.stats_.messages_proposed;
  server_.intake_.proposer->Propose(
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
