#include "appliance/retention_job.h"

#include "appliance/mailbox_read_state.h"
#include "modules/mailbox/mailbox_keys.h"
#include "modules/mailbox/mailbox_reader.h"
#include "modules/mailbox/retention.h"

namespace lifeboat {
namespace {

constexpr std::string_view kComponent = "retention";
constexpr int64_t kMicrosPerDay = 86'400'000'000;

}  // namespace

Result<RetentionPlan> PlanRetention(const eventlog::StateReader& state, int64_t now_unix_micros,
                                    uint32_t retention_days, std::string_view page_token,
                                    size_t mailboxes_max) {
  LB_CHECK(retention_days > 0);
  StateMailboxReadState read_state(state);
  mailbox::MailboxReader reader(read_state, nullptr);  // lists only, never reads bodies
  const int64_t before = now_unix_micros - static_cast<int64_t>(retention_days) * kMicrosPerDay;
  RetentionPlan plan;
  std::string token(page_token);
  size_t seen = 0;
  do {
    auto page = reader.ListMailboxes(token, mailbox::kListPageEntriesMax);
    if (!page.ok()) return page.status();
    for (size_t i = 0; i < page->mailboxes.size(); ++i) {
      const auto& record = page->mailboxes[i];
      for (const std::string& folder : record.folders()) {
        // Up to one planner batch per folder and run: a long backlog drains over several runs.
        auto old = reader.ListFolderReceivedBefore(record.mailbox_id(), folder, before,
                                                   mailbox::kRetentionBatchMessagesMax);
        if (!old.ok()) return old.status();
        if (old->empty()) continue;
        auto purges = mailbox::PlanRetentionPurge(now_unix_micros, retention_days, *old);
        if (!purges.ok()) return purges.status();
        for (events::MessagesPurged& purge : *purges) {
          plan.messages += static_cast<size_t>(purge.message_ids_size());
          events::Event event;
          *event.mutable_messages_purged() = std::move(purge);
          plan.events.push_back(std::move(event));
        }
      }
      if (++seen == mailboxes_max) {
        const bool more = i + 1 < page->mailboxes.size() || !page->next_page_token.empty();
        // A page token is the key of the last record seen.
        plan.next_page_token = more ? mailbox::MailboxKey(record.mailbox_id()) : "";
        return plan;
      }
    }
    token = page->next_page_token;
  } while (!token.empty());
  return plan;
}

RetentionJob::RetentionJob(Env& env, Logger& logger, const eventlog::StateReader& state,
                           eventlog::Proposer& proposer, uint32_t retention_days)
    : env_(env),
      logger_(logger),
      state_(state),
      proposer_(proposer),
      retention_days_(retention_days) {
  LB_CHECK(retention_days_ > 0);
}

RetentionJob::~RetentionJob() {
  Stop();
}

void RetentionJob::Start() {
  Schedule(kRetentionFirstRunDelay);
}

void RetentionJob::Stop() {
  alive_->store(false);
  env_.CancelTimer(timer_);
  if (executor_ != nullptr) executor_->Shutdown();  // a listing in flight ends first
  executor_.reset();
}

void RetentionJob::Schedule(Duration after) {
  timer_ = env_.StartTimer(after, [this] {
    RunNow([this](Result<size_t> purged) {
      if (!purged.ok()) {
        logger_.Error(kComponent, "retention run failed", {{"error", purged.status().ToString()}});
      } else if (*purged > 0) {
        logger_.Info(kComponent, "purged messages older than the retention window",
                     {{"messages", static_cast<uint64_t>(*purged)},
                      {"retention_days", static_cast<uint64_t>(retention_days_)}});
      }
      Schedule(kRetentionRunInterval);
    });
  });
}

void RetentionJob::RunNow(std::function<void(Result<size_t>)> done) {
  if (running_) {
    done(Status::FailedPrecondition("a retention run is already in progress"));
    return;
  }
  running_ = true;
  if (executor_ == nullptr) executor_ = env_.NewSerialExecutor("lb-retention");
  const int64_t now = env_.WallNow().count();
  executor_->Submit(
      [this, alive = alive_, now, token = resume_after_mailbox_, done = std::move(done)]() mutable {
        Result<RetentionPlan> plan =
            PlanRetention(state_, now, retention_days_, token, kRetentionMailboxesPerRunMax);
        env_.Post([this, alive, plan = std::move(plan), done = std::move(done)]() mutable {
          if (!alive->load()) return;
          if (!plan.ok()) {
            running_ = false;
            done(plan.status());
            return;
          }
          resume_after_mailbox_ = plan->next_page_token;
          size_t messages = plan->messages;
          ProposeInOrder(std::move(plan->events), 0, messages, std::move(done));
        });
      });
}

void RetentionJob::ProposeInOrder(std::vector<events::Event> events, size_t next, size_t purged,
                                  std::function<void(Result<size_t>)> done) {
  if (next == events.size()) {
    running_ = false;
    done(purged);
    return;
  }
  events::Event event = events[next];
  proposer_.Propose(std::move(event),
                    [this, alive = alive_, events = std::move(events), next, purged,
                     done = std::move(done)](Result<uint64_t> index) mutable {
                      if (!alive->load()) return;
                      if (!index.ok()) {
                        running_ = false;
                        done(index.status());
                        return;
                      }
                      ProposeInOrder(std::move(events), next + 1, purged, std::move(done));
                    });
}

}  // namespace lifeboat
