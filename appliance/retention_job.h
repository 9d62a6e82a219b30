#pragma once
// Keeps the mail history inside its window ([mailbox] retention_days): periodically lists, per
// mailbox and folder, the messages received before the window and proposes MessagesPurged events
// for them (modules/mailbox/retention.h plans them; the mailbox projection drops the entries and
// frees a body once no mailbox holds it). Purges are events, so the log says what went and why.
//
// The listing reads the state database on the job's serial executor ("lb-retention",
// Env::NewSerialExecutor; the loop never waits on disk); the events are proposed from the loop
// thread, one at a time, in order.
//
// Ownership: the node owns the job; env, state and proposer outlive it. Start/Stop on the loop.

#include <atomic>
#include <memory>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/log/logger.h"
#include "eventlog/projection_runner.h"
#include "eventlog/proposer.h"

namespace lifeboat {

inline constexpr Duration kRetentionFirstRunDelay = std::chrono::minutes(1);
inline constexpr Duration kRetentionRunInterval = std::chrono::hours(1);
// One run looks at this many mailboxes at most; the next run continues where it stopped.
inline constexpr size_t kRetentionMailboxesPerRunMax = 2000;

class RetentionJob {
 public:
  RetentionJob(Env& env, Logger& logger, const eventlog::StateReader& state,
               eventlog::Proposer& proposer, uint32_t retention_days);
  ~RetentionJob();

  void Start();
  void Stop();
  // One run now; `done(purged messages)` on the loop thread once its events are durable.
  void RunNow(std::function<void(Result<size_t>)> done);

 private:
  void Schedule(Duration after);
  void ProposeInOrder(std::vector<events::Event> events, size_t next, size_t purged,
                      std::function<void(Result<size_t>)> done);

  Env& env_;
  Logger& logger_;
  const eventlog::StateReader& state_;
  eventlog::Proposer& proposer_;
  const uint32_t retention_days_;
  TimerId timer_ = 0;
  bool running_ = false;
  std::string resume_after_mailbox_;          // the page token where the last run stopped
  std::unique_ptr<SerialExecutor> executor_;  // made by the first run, shut down by Stop()
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

// The planning step alone (the job's executor; exposed for tests): MessagesPurged events for every
// message of up to `mailboxes_max` mailboxes after `page_token` received before the window.
// `next_page_token` is where to continue ("" once every mailbox was seen).
struct RetentionPlan {
  std::vector<events::Event> events;
  size_t messages = 0;
  std::string next_page_token;
};
Result<RetentionPlan> PlanRetention(const eventlog::StateReader& state, int64_t now_unix_micros,
                                    uint32_t retention_days, std::string_view page_token,
                                    size_t mailboxes_max);

}  // namespace lifeboat
