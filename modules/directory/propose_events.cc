#include "modules/directory/propose_events.h"

#include <memory>
#include <utility>

#include "appliance/env/check.h"

namespace lifeboat::directory {

void ProposeSyncEvents(eventlog::Proposer& proposer, std::vector<events::Event> events,
                       std::function<void(Status)> done) {
  LB_CHECK(!events.empty() && events.back().has_directory_sync_completed());
  struct Pending {
    size_t changes_remaining = 0;
    Status first_error;
    events::Event completion;
    std::function<void(Status)> done;
  };
  auto pending = std::make_shared<Pending>();
  pending->completion = std::move(events.back());
  events.pop_back();
  pending->changes_remaining = events.size();
  pending->done = std::move(done);

  auto propose_completion = [&proposer](std::shared_ptr<Pending> pending) {
    if (!pending->first_error.ok()) return pending->done(pending->first_error);
    proposer.Propose(std::move(pending->completion), [pending](Result<uint64_t> index) {
      pending->done(index.ok() ? Status::Ok() : index.status());
    });
  };
  if (events.empty()) return propose_completion(pending);
  for (events::Event& event : events) {
    proposer.Propose(std::move(event), [pending, propose_completion](Result<uint64_t> index) {
      if (!index.ok() && pending->first_error.ok()) {
        pending->first_error = index.status();
      }
      if (--pending->changes_remaining == 0) propose_completion(pending);
    });
  }
}

}  // namespace lifeboat::directory
