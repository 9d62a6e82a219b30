#pragma once
// An internet sender in the simulation (issue #14): an SMTP client written for the simulator
// (RFC 5321 section 3.3: EHLO, MAIL, RCPT, DATA, one command at a time), on its own SimEnv. It
// keeps a queue of mails and delivers them in order, retrying after any temporary failure, reset
// or timeout as a real MTA does. It records every 250 to the end of DATA with the id the server
// gave (session.cc: "250 2.0.0 Ok: queued as <id>"), and how many times each mail's data went out
// complete (a retry after an unanswered end of data may file the mail twice: at-least-once).

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "appliance/env/network.h"
#include "simulator/sim_network.h"
#include "simulator/world.h"

namespace lifeboat::simulator {

struct SimMail {
  std::string marker;  // unique in the run; also in the header X-Sim-Mail
  std::string rcpt_to;
  std::string raw;
  uint32_t data_sent = 0;  // complete transmissions of the data (each may be filed)
  bool acked = false;
  std::string server_id;  // from the 250, once acked
  MonoTime acked_at{0};   // when the 250 came
  bool rejected = false;  // a 5xx: the sender gives up (never expected here)
};

struct SimSenderStats {
  uint64_t sessions = 0;
  uint64_t connect_failures = 0;
  uint64_t temporary_failures = 0;  // 4xx replies
  uint64_t disk_full_refusals = 0;  // 452 4.3.1 (the disk reserve)
  uint64_t closed_mid_session = 0;  // reset or closed before QUIT
  uint64_t timeouts = 0;
};

class SimSender : private ByteStream::Handler {
 public:
  static constexpr Duration kConnectTimeout = std::chrono::seconds(30);
  // RFC 5321 section 4.5.3.2 allows minutes per reply; the simulation waits this long.
  static constexpr Duration kReplyTimeout = std::chrono::seconds(60);
  static constexpr Duration kRetryAfterMin = std::chrono::seconds(1);
  static constexpr Duration kRetryAfterMax = std::chrono::seconds(10);
  static constexpr int kMailsPerSessionMax = 10;

  SimSender(World& world, SimNetwork& network, std::string name, std::string host,
            std::string server_address);
  ~SimSender() override;

  // Queues a mail to `rcpt_to` and starts delivering if idle.
  void Send(std::string marker, std::string rcpt_to, std::string raw);
  // Mails neither acknowledged nor rejected.
  size_t queued() const { return queue_.size(); }
  const std::map<std::string, SimMail>& mails() const { return mails_; }
  const SimSenderStats& stats() const { return stats_; }
  const std::string& host() const { return host_; }

 private:
  enum class Step { kIdle, kConnecting, kGreeting, kEhlo, kMail, kRcpt, kData, kDataEnd, kQuit };

  void OnBytes(std::string_view bytes) override;
  void OnTlsEstablished(const TlsSessionFacts&) override {}
  void OnClosed(std::string_view reason) override;

  void Connect();
  void OnReply(int code, const std::string& text);
  void NextMail();
  void Command(Step step, const std::string& line);
  void ArmTimeout();
  // Ends the session (QUIT when `polite`) and retries after a seeded pause if mail is left.
  void EndSession(bool polite);
  void RetryLater();

  World& world_;
  SimEnv env_;
  const std::string host_;
  const std::string server_address_;
  std::map<std::string, SimMail> mails_;
  std::deque<std::string> queue_;  // markers, in order
  SimSenderStats stats_;
  Step step_ = Step::kIdle;
  std::unique_ptr<PendingConnect> pending_;
  std::unique_ptr<ByteStream> stream_;
  std::string input_;
  TimerId timeout_ = 0;
  TimerId retry_ = 0;
  int mails_this_session_ = 0;
};

}  // namespace lifeboat::simulator
