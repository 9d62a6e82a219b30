#include "simulator/sim_sender.h"

#include <utility>

#include "appliance/env/check.h"

namespace lifeboat::simulator {

SimSender::SimSender(World& world, SimNetwork& network, std::string name, std::string host,
                     std::string server_address)
    : world_(world),
      env_(world, std::move(name)),
      host_(std::move(host)),
      server_address_(std::move(server_address)) {
  env_.set_network(&network.node(host_));
}

SimSender::~SimSender() {
  env_.Halt();
}

void SimSender::Send(std::string marker, std::string rcpt_to, std::string raw) {
  SimMail mail;
  mail.marker = marker;
  mail.rcpt_to = std::move(rcpt_to);
  mail.raw = std::move(raw);
  LB_CHECK(mails_.emplace(marker, std::move(mail)).second);
  queue_.push_back(std::move(marker));
  if (step_ == Step::kIdle && retry_ == 0) Connect();
}

void SimSender::Connect() {
  retry_ = 0;
  if (queue_.empty()) return;
  step_ = Step::kConnecting;
  ++stats_.sessions;
  Result<std::unique_ptr<PendingConnect>> pending = env_.network().Connect(
      server_address_, kConnectTimeout, [this](Result<std::unique_ptr<ByteStream>> stream) {
        pending_.reset();
        if (!stream.ok()) {
          ++stats_.connect_failures;
          step_ = Step::kIdle;
          RetryLater();
          return;
        }
        stream_ = std::move(stream).value();
        stream_->Start(this);
        mails_this_session_ = 0;
        step_ = Step::kGreeting;
        ArmTimeout();
      });
  LB_CHECK(pending.ok());
  pending_ = std::move(pending).value();
}

void SimSender::OnBytes(std::string_view bytes) {
  input_ += bytes;
  // Replies are lines "CODE-text" (more follow) or "CODE text" (the last) (RFC 5321 4.2.1).
  for (size_t end = input_.find("\r\n"); end != std::string::npos; end = input_.find("\r\n")) {
    const std::string line = input_.substr(0, end);
    input_.erase(0, end + 2);
    if (line.size() < 3) continue;
    if (line.size() > 3 && line[3] == '-') continue;
    OnReply(std::stoi(line.substr(0, 3)), line.size() > 4 ? line.substr(4) : "");
    if (stream_ == nullptr) return;
  }
}

void SimSender::OnReply(int code, const std::string& text) {
  env_.CancelTimer(timeout_);
  timeout_ = 0;
  if (step_ == Step::kQuit) return;
  const bool positive = code < 400;
  if (!positive) {
    if (code >= 500 && step_ >= Step::kMail && !queue_.empty()) {
      mails_[queue_.front()].rejected = true;
      queue_.pop_front();
    } else {
      ++stats_.temporary_failures;
      if (code == 452 && text.find("4.3.1") != std::string::npos) ++stats_.disk_full_refusals;
    }
    EndSession(/*polite=*/true);
    return;
  }
  switch (step_) {
    case Step::kGreeting:
      Command(Step::kEhlo, "EHLO " + host_);
      return;
    case Step::kEhlo:
      NextMail();
      return;
    case Step::kMail:
      Command(Step::kRcpt, "RCPT TO:<" + mails_[queue_.front()].rcpt_to + ">");
      return;
    case Step::kRcpt:
      Command(Step::kData, "DATA");
      return;
    case Step::kData: {
      SimMail& mail = mails_[queue_.front()];
      ++mail.data_sent;
      step_ = Step::kDataEnd;
      stream_->Write(mail.raw + ".\r\n");  // raw ends in CRLF; no line starts with a dot
      ArmTimeout();
      return;
    }
    case Step::kDataEnd: {
      SimMail& mail = mails_[queue_.front()];
      mail.acked = true;
      mail.acked_at = world_.now();
      const std::string queued_as = "queued as ";
      if (size_t at = text.find(queued_as); at != std::string::npos) {
        mail.server_id = text.substr(at + queued_as.size());
      }
      queue_.pop_front();
      NextMail();
      return;
    }
    default:
      LB_CHECK(false && "a reply in no step");
  }
}

void SimSender::NextMail() {
  if (queue_.empty() || mails_this_session_ >= kMailsPerSessionMax) {
    EndSession(/*polite=*/true);
    return;
  }
  ++mails_this_session_;
  Command(Step::kMail, "MAIL FROM:<sender@" + host_ + ".example.net>");
}

void SimSender::Command(Step step, const std::string& line) {
  step_ = step;
  stream_->Write(line + "\r\n");
  ArmTimeout();
}

void SimSender::ArmTimeout() {
  env_.CancelTimer(timeout_);
  timeout_ = env_.StartTimer(kReplyTimeout, [this] {
    timeout_ = 0;
    ++stats_.timeouts;
    EndSession(/*polite=*/false);
  });
}

void SimSender::OnClosed(std::string_view) {
  if (step_ != Step::kQuit) ++stats_.closed_mid_session;
  env_.CancelTimer(timeout_);
  timeout_ = 0;
  // Never destroy the stream inside its own Handler call (network.h).
  env_.Post([this, stream = std::shared_ptr<ByteStream>(std::move(stream_))] {});
  input_.clear();
  step_ = Step::kIdle;
  RetryLater();
}

void SimSender::EndSession(bool polite) {
  env_.CancelTimer(timeout_);
  timeout_ = 0;
  if (stream_ != nullptr && polite) {
    step_ = Step::kQuit;
    stream_->Write("QUIT\r\n");
    stream_->CloseAfterFlush();
    return;  // OnClosed follows and retries
  }
  // Impolite: drop the connection now (from a timer, not a Handler call).
  stream_.reset();
  input_.clear();
  step_ = Step::kIdle;
  RetryLater();
}

void SimSender::RetryLater() {
  if (queue_.empty() || retry_ != 0) return;
  const int64_t span = (kRetryAfterMax - kRetryAfterMin).count();
  const Duration pause =
      kRetryAfterMin + Duration(static_cast<int64_t>(env_.RandomU64() % (span + 1)));
  retry_ = env_.StartTimer(pause, [this] { Connect(); });
}

}  // namespace lifeboat::simulator
