#include "appliance/relay_connection.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "appliance/env/check.h"

namespace lifeboat {
namespace {

// Every recipient of `attempt` with the same outcome decided here (no reply from the server).
std::vector<delivery::RecipientResult> AllRetry(const delivery::DeliveryAttempt& attempt,
                                                const std::string& reason) {
  std::vector<delivery::RecipientResult> results;
  for (const std::string& recipient : attempt.rcpt_to) {
    delivery::RecipientResult result;
    result.recipient = recipient;
    result.outcome = delivery::RecipientOutcome::kRetry;
    result.reply = reason;
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace

RelayConnection::RelayConnection(Env& env, std::string destination, std::string server_name,
                                 const delivery::ClientConfig& client, const ClientTls* tls,
                                 Duration connect_timeout, Callbacks callbacks)
    : env_(env),
      destination_(std::move(destination)),
      server_name_(std::move(server_name)),
      client_config_(client),
      tls_(tls),
      connect_timeout_(connect_timeout),
      callbacks_(std::move(callbacks)),
      client_(client_config_) {
  LB_CHECK(tls_ != nullptr || client_config_.tls == delivery::TlsPolicy::kNone);
}

RelayConnection::~RelayConnection() {
  *alive_ = false;
  env_.CancelTimer(deadline_);
}

void RelayConnection::Start(RelayMail first) {
  current_ = std::move(first);
  auto pending = env_.network().Connect(
      destination_, connect_timeout_,
      [this](Result<std::unique_ptr<ByteStream>> stream) { OnConnected(std::move(stream)); });
  if (!pending.ok()) {
    // Callbacks never run inside Start(): report on the next turn.
    env_.Post([this, alive = alive_, status = pending.status()] {
      if (*alive) Finish("connect to " + destination_ + ": " + status.message());
    });
    return;
  }
  connect_ = std::move(pending).value();
}

void RelayConnection::OnConnected(Result<std::unique_ptr<ByteStream>> stream) {
  if (!stream.ok()) {
    Finish(stream.status().message());
    return;
  }
  stream_ = std::move(stream).value();
  stream_->Start(this);
  client_.Start(env_.MonotonicNow());
  // The envelope waits in the client until the session is ready (smtp_client.h, contract 5).
  RelayMail mail = std::move(*current_);
  current_.reset();
  SendMail(std::move(mail));
  Perform();
}

void RelayConnection::SendMail(RelayMail mail) {
  Status sent = client_.Send(mail.envelope, env_.MonotonicNow());
  if (sent.ok()) {
    current_ = std::move(mail);
    return;
  }
  // An envelope that cannot go on the wire is refused for good: a bounce, decided here.
  std::vector<delivery::RecipientResult> results;
  for (const std::string& recipient : mail.attempt.rcpt_to) {
    delivery::RecipientResult result;
    result.recipient = recipient;
    result.outcome = delivery::RecipientOutcome::kBounce;
    result.reply = "envelope refused: " + sent.message();
    results.push_back(std::move(result));
  }
  callbacks_.on_results(*this, mail.attempt, results);
}

void RelayConnection::Perform() {
  // Acting on an action may produce more (Send, Quit, OnTlsFailed): take them until none is left.
  for (std::vector<delivery::ClientAction> actions = client_.TakeActions(); !actions.empty();
       actions = client_.TakeActions()) {
    for (delivery::ClientAction& action : actions) {
      if (closed_ || close_reason_.has_value()) return;
      Act(action);
    }
  }
}

void RelayConnection::Act(delivery::ClientAction& action) {
  if (auto* bytes = std::get_if<delivery::SendBytes>(&action)) {
    stream_->Write(bytes->bytes);
  } else if (std::holds_alternative<delivery::StartTls>(action)) {
    Status started = tls_ == nullptr ? Status::FailedPrecondition("no client TLS configured")
                                     : stream_->StartClientTls(*tls_, server_name_);
    if (started.ok()) {
      handshaking_ = true;
    } else {
      client_.OnTlsFailed(started.message(), env_.MonotonicNow());
    }
  } else if (auto* arm = std::get_if<delivery::ArmDeadline>(&action)) {
    env_.CancelTimer(deadline_);
    const Duration after = std::max(Duration::zero(), arm->deadline - env_.MonotonicNow());
    deadline_ = env_.StartTimer(after, [this] {
      deadline_ = 0;
      if (closed_ || close_reason_.has_value()) return;
      client_.OnDeadline(env_.MonotonicNow());
      Perform();
    });
  } else if (std::holds_alternative<delivery::ReadyForMail>(action)) {
    if (current_.has_value() || quitting_) return;
    std::optional<RelayMail> next = callbacks_.next_mail(*this);
    if (next.has_value()) SendMail(std::move(*next));
    // No mail, or an envelope refused before it reached the wire: end the session politely.
    if (!current_.has_value()) {
      quitting_ = true;
      client_.Quit(env_.MonotonicNow());
    }
  } else if (auto* done = std::get_if<delivery::TransactionDone>(&action)) {
    LB_CHECK(current_.has_value());
    RelayMail mail = std::move(*current_);
    current_.reset();
    callbacks_.on_results(*this, mail.attempt, done->results);
  } else if (auto* close = std::get_if<delivery::CloseConnection>(&action)) {
    // The stream's OnClosed follows once QUIT has left (bounded by its close deadline).
    FailUnsent(close->reason);
    close_reason_ = close->reason;
    stream_->CloseAfterFlush();
  }
}

void RelayConnection::OnBytes(std::string_view bytes) {
  if (closed_ || close_reason_.has_value()) return;
  client_.OnBytes(bytes, env_.MonotonicNow());
  Perform();
}

void RelayConnection::OnTlsEstablished(const TlsSessionFacts&) {
  if (closed_ || close_reason_.has_value()) return;
  handshaking_ = false;
  client_.OnTlsEstablished(env_.MonotonicNow());
  Perform();
}

void RelayConnection::OnClosed(std::string_view reason) {
  if (closed_) return;
  if (close_reason_.has_value()) {
    Finish(*close_reason_);
    return;
  }
  if (handshaking_) {
    handshaking_ = false;
    client_.OnTlsFailed(reason, env_.MonotonicNow());
  } else {
    client_.OnConnectionClosed(env_.MonotonicNow());
  }
  Perform();
  if (!closed_) Finish(std::string(reason));
}

void RelayConnection::FailUnsent(const std::string& reason) {
  if (!current_.has_value()) return;
  RelayMail mail = std::move(*current_);
  current_.reset();
  callbacks_.on_results(*this, mail.attempt, AllRetry(mail.attempt, reason));
}

void RelayConnection::Finish(const std::string& reason) {
  if (closed_) return;
  // A mail the client never took (the connection failed first) is retried like a 4xx.
  FailUnsent(reason);
  closed_ = true;
  env_.CancelTimer(deadline_);
  deadline_ = 0;
  callbacks_.on_closed(*this, reason);
}

}  // namespace lifeboat
