// The rule of modules/directory/propose_events.h: changes at once, the completion only after
// every change is durable, and never after a failed one.
#include "modules/directory/propose_events.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace lifeboat::directory {
namespace {

// Records proposals and holds their callbacks, so the test decides when and how each finishes.
class HeldProposer : public eventlog::Proposer {
 public:
  void Propose(events::Event event, Done done) override {
    proposed.push_back(std::move(event));
    held.push_back(std::move(done));
  }
  uint64_t commit_index() const override { return 0; }
  void AddCommitListener(CommitListener) override {}

  void Finish(size_t which, Result<uint64_t> outcome) { held.at(which)(std::move(outcome)); }

  std::vector<events::Event> proposed;
  std::vector<Done> held;
};

std::vector<events::Event> SyncEvents(size_t changes) {
  std::vector<events::Event> events(changes + 1);
  for (size_t i = 0; i < changes; ++i) {
    events[i].mutable_directory_entry_upserted()->mutable_entry()->set_id("g" + std::to_string(i));
  }
  events.back().mutable_directory_sync_completed()->set_upserted(static_cast<uint32_t>(changes));
  return events;
}

TEST(ProposeSyncEventsTest, ProposesEveryChangeAtOnceAndTheCompletionAfterAllAreDurable) {
  HeldProposer proposer;
  std::optional<Status> result;
  ProposeSyncEvents(proposer, SyncEvents(3), [&](Status status) { result = status; });
  ASSERT_EQ(proposer.proposed.size(), 3u);  // all three changes, no completion yet
  for (const events::Event& event : proposer.proposed) {
    EXPECT_TRUE(event.has_directory_entry_upserted());
  }
  proposer.Finish(1, uint64_t{2});
  proposer.Finish(0, uint64_t{1});
  EXPECT_EQ(proposer.proposed.size(), 3u);  // one change still in flight
  proposer.Finish(2, uint64_t{3});
  ASSERT_EQ(proposer.proposed.size(), 4u);
  EXPECT_TRUE(proposer.proposed.back().has_directory_sync_completed());
  EXPECT_FALSE(result.has_value());
  proposer.Finish(3, uint64_t{4});
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok()) << result->ToString();
}

TEST(ProposeSyncEventsTest, AFailedChangeInTheMiddleKeepsTheCompletionOutOfTheLog) {
  HeldProposer proposer;
  std::optional<Status> result;
  ProposeSyncEvents(proposer, SyncEvents(3), [&](Status status) { result = status; });
  proposer.Finish(0, uint64_t{1});
  proposer.Finish(1, Status::ResourceExhausted("queue full"));
  proposer.Finish(2, uint64_t{2});  // a smaller event behind the refused one got in
  EXPECT_EQ(proposer.proposed.size(), 3u) << "the completion must not cover a gap";
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->code(), StatusCode::kResourceExhausted);
}

TEST(ProposeSyncEventsTest, ASyncWithoutChangesProposesItsCompletion) {
  HeldProposer proposer;
  std::optional<Status> result;
  ProposeSyncEvents(proposer, SyncEvents(0), [&](Status status) { result = status; });
  ASSERT_EQ(proposer.proposed.size(), 1u);
  EXPECT_TRUE(proposer.proposed[0].has_directory_sync_completed());
  proposer.Finish(0, Status::IoError("disk"));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace lifeboat::directory
