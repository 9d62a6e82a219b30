// The in-memory directory view changes only after the state batch holding its events commits
// (projection.h, OnBatchCommitted / OnBatchDiscarded): a real ProjectionRunner, a real log and a
// state LevelDB whose writes fail on demand (simulator/fault_injection_env.h).
#include <gtest/gtest.h>
#include <leveldb/env.h>

#include <memory>
#include <string>
#include <vector>

#include "eventlog/log_store.h"
#include "eventlog/projection_runner.h"
#include "modules/directory/directory_projection.h"
#include "modules/directory/sync_core.h"
#include "simulator/fault_injection_env.h"
#include "tests/unit/directory/test_entries.h"
#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::directory {
namespace {

using eventlog::store_testing::TempDir;
using smtp::RecipientVerdict;
using testing::Id;
using testing::User;

// Fails its Apply at one log index, like a projection meeting an event it cannot fold.
class FailingProjection : public eventlog::Projection {
 public:
  explicit FailingProjection(uint64_t fail_at_index) : fail_at_index_(fail_at_index) {}
  std::string_view name() const override { return "failing"; }
  Status Apply(const events::Event& event, eventlog::ProjectionState&) override {
    if (event.index() == fail_at_index_) return Status::InvalidArgument("cannot fold this");
    return Status::Ok();
  }

 private:
  uint64_t fail_at_index_;
};

class DirectoryViewCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eventlog::LogStoreOptions options;
    options.path = dir_.path() + "/log";
    auto log = eventlog::LogStore::Open(options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
    // One full sync: alice and bob upserted, then its completion event.
    SyncInput input;
    input.mode = SyncMode::kFull;
    input.cookie = "c1";
    input.entries = {User(Id(1), "alice", "alice@corp.example.test"),
                     User(Id(2), "bob", "bob@corp.example.test")};
    auto events = ComputeSync(view_.Snapshot(), input, {});
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    std::vector<eventlog::LogRecord> records;
    for (events::Event& event : *events) {
      event.set_timestamp_unix_micros(1'700'000'000'000'000);
      const uint64_t index = records.size() + 1;
      if (event.has_directory_entry_upserted() && first_upsert_index_ == 0) {
        first_upsert_index_ = index;
      }
      records.push_back({index, 1, event.SerializeAsString()});
    }
    ASSERT_TRUE(log_->Append(records).ok());
    // The sync's changes, then its completion event last.
    ASSERT_TRUE(events->back().has_directory_sync_completed());
    completion_index_ = log_->last_index();
    ASSERT_NE(first_upsert_index_, 0u);
    ASSERT_LT(first_upsert_index_, completion_index_);
    view_.SetAwaitingFirstSync(true);
  }

  eventlog::ProjectionRunnerOptions StateOptions(leveldb::Env* env) const {
    eventlog::ProjectionRunnerOptions options;
    options.path = dir_.path() + "/state";
    options.leveldb_env = env;
    options.read_ahead = false;
    return options;
  }

  // The view as before any event: nobody known, still waiting for the first sync.
  void ExpectViewUntouched() {
    EXPECT_EQ(view_.size(), 0u);
    EXPECT_EQ(view_.Resolve("alice@corp.example.test"), RecipientVerdict::kDirectoryNotLoaded);
    EXPECT_FALSE(projection_.HasCompletedSync());
    EXPECT_FALSE(projection_.LastSync("ldap").has_value());
  }

  TempDir dir_;
  std::unique_ptr<eventlog::LogStore> log_;
  uint64_t first_upsert_index_ = 0;
  uint64_t completion_index_ = 0;
  DirectoryView view_{{"corp.example.test"}};
  DirectoryProjection projection_{view_};
};

TEST_F(DirectoryViewCommitTest, AFailedStateWriteLeavesTheViewAsItWas) {
  simulator::FaultInjectionEnv disk(leveldb::Env::Default(), /*seed=*/1);
  {
    auto runner = eventlog::ProjectionRunner::Open(StateOptions(&disk), {&projection_});
    ASSERT_TRUE(runner.ok()) << runner.status().ToString();
    disk.SetWriteError(true);
    // Every Apply of the batch ran (the state overlay holds their writes), then the write failed.
    Status applied = (*runner)->ApplyThrough(*log_, log_->last_index());
    EXPECT_FALSE(applied.ok());
    EXPECT_EQ((*runner)->applied_index(), 0u);
    ExpectViewUntouched();
  }
  // The disk recovers; the node reopens the state and applies the same records again.
  disk.SetWriteError(false);
  auto runner = eventlog::ProjectionRunner::Open(StateOptions(&disk), {&projection_});
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  ASSERT_TRUE((*runner)->ApplyThrough(*log_, log_->last_index()).ok());
  EXPECT_EQ(view_.size(), 2u);
  EXPECT_EQ(view_.Resolve("alice@corp.example.test"), RecipientVerdict::kMailbox);
  EXPECT_EQ(view_.Resolve("nobody@corp.example.test"), RecipientVerdict::kUnknownUser);
  EXPECT_TRUE(projection_.HasCompletedSync());
}

TEST_F(DirectoryViewCommitTest, AnotherProjectionsFailureDiscardsWhatTheBatchStaged) {
  // The directory folds the sync's changes (alice, bob), then "failing" refuses the completion
  // record: the whole batch is discarded, and with it the directory's staged view changes.
  FailingProjection failing(completion_index_);
  auto runner = eventlog::ProjectionRunner::Open(StateOptions(nullptr), {&projection_, &failing});
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  Status applied = (*runner)->ApplyThrough(*log_, log_->last_index());
  EXPECT_EQ(applied.code(), StatusCode::kInvalidArgument) << applied.ToString();
  EXPECT_EQ((*runner)->applied_index(), 0u);
  ExpectViewUntouched();

  // The changes alone commit: the view shows exactly them, the sync still not completed.
  ASSERT_TRUE((*runner)->ApplyThrough(*log_, completion_index_ - 1).ok());
  EXPECT_EQ(view_.size(), 2u);
  EXPECT_EQ(view_.Resolve("bob@corp.example.test"), RecipientVerdict::kMailbox);
  EXPECT_FALSE(projection_.HasCompletedSync());
}

TEST_F(DirectoryViewCommitTest, AViewThatSeesTheAppliedIndexSeesItsEvents) {
  auto runner = eventlog::ProjectionRunner::Open(StateOptions(nullptr), {&projection_});
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  // After each ApplyThrough the view holds exactly what was applied.
  ASSERT_TRUE((*runner)->ApplyThrough(*log_, first_upsert_index_).ok());
  EXPECT_EQ((*runner)->applied_index(), first_upsert_index_);
  EXPECT_EQ(view_.size(), 1u);
  EXPECT_FALSE(projection_.HasCompletedSync());
  ASSERT_TRUE((*runner)->ApplyThrough(*log_, completion_index_).ok());
  EXPECT_EQ(view_.size(), 2u);
  EXPECT_TRUE(projection_.HasCompletedSync());
  EXPECT_EQ(projection_.LastSync("ldap")->last.cookie(), "c1");
}

}  // namespace
}  // namespace lifeboat::directory
