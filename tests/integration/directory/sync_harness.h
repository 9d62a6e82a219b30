#pragma once
// The node side of the directory integration tests: a manual-clock Env, the directory view and
// projection, a proposer that applies each event as it is proposed (and records it), and the
// DirectorySync under test. Plus the oracle: a fresh full sync into an empty state, which the
// incrementally maintained projection must equal after every step.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "modules/directory/directory_projection.h"
#include "modules/directory/directory_sync.h"
#include "modules/directory/ldap_source.h"
#include "simulator/manual_env.h"
#include "tests/unit/eventlog/map_projection_state.h"

namespace lifeboat::directory::testing {

using MapState = eventlog::testing::MapProjectionState;

// Durable at once: applies to the projection, as the runner would after commit.
class ApplyingProposer : public eventlog::Proposer {
 public:
  ApplyingProposer(Env& env, DirectoryProjection& projection, MapState& state)
      : env_(env), projection_(projection), state_(state) {}
  void Propose(events::Event event, Done done) override {
    event.set_index(++index_);
    event.set_timestamp_unix_micros(env_.WallNow().count());
    Status applied = projection_.Apply(event, state_);
    EXPECT_TRUE(applied.ok()) << applied.ToString();
    projection_.OnBatchCommitted();  // one event per batch
    if (event.has_directory_sync_completed()) ++completions;
    proposed.push_back(event);
    done(index_);
  }
  uint64_t commit_index() const override { return index_; }
  void AddCommitListener(CommitListener) override {}
  std::vector<events::Event> proposed;
  uint64_t completions = 0;  // DirectorySyncCompleted events seen

 private:
  Env& env_;
  DirectoryProjection& projection_;
  MapState& state_;
  uint64_t index_ = 0;
};

class SyncHarness {
 public:
  SyncHarness(LdapSourceOptions options, std::vector<std::string> domains)
      : options_(std::move(options)),
        view_(domains),
        projection_(view_),
        proposer_(env_, projection_, state_),
        source_(env_, options_) {
    DirectorySyncOptions sync_options;
    sync_ =
        std::make_unique<DirectorySync>(env_, source_, view_, projection_, proposer_, sync_options);
  }

  // Runs one sync to the end (bounded wait on the worker), returns its outcome and the events
  // it proposed in `events`.
  Status Sync(SyncMode mode, std::vector<events::Event>* events = nullptr) {
    size_t before = proposer_.proposed.size();
    bool finished = false;
    Status outcome;
    sync_->SyncNow(mode, false, [&](Status s) {
      finished = true;
      outcome = s;
    });
    // The manual Env runs the fetch (the sync's executor task) and what it posts here; the
    // proposer may answer from another thread: wait for posts, not for time.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!finished && std::chrono::steady_clock::now() < deadline) {
      if (env_.RunUntilIdle() == 0 && !finished) {
        env_.WaitForPosted(std::chrono::milliseconds(500));
      }
    }
    EXPECT_TRUE(finished) << "sync did not finish within 120 s";
    if (events != nullptr) {
      events->assign(proposer_.proposed.begin() + static_cast<long>(before),
                     proposer_.proposed.end());
    }
    return outcome;
  }

  // "+name" upserted, "-name" removed, "@address" mailbox provisioned; the completion is left out.
  std::multiset<std::string> Describe(const std::vector<events::Event>& events) {
    std::multiset<std::string> out;
    for (const events::Event& e : events) {
      if (e.has_directory_entry_upserted()) {
        const events::DirectoryEntry& entry = e.directory_entry_upserted().entry();
        names_[entry.id()] = Name(entry);
        out.insert("+" + Name(entry));
      } else if (e.has_directory_entry_removed()) {
        out.insert("-" + names_[e.directory_entry_removed().id()]);
      } else if (e.has_mailbox_provisioned()) {
        out.insert("@" + e.mailbox_provisioned().primary_address());
      }
    }
    return out;
  }

  // The projection equals what a fresh full sync of the directory gives.
  void ExpectMatchesDirectory() {
    LdapSource fresh_source(env_, options_);
    Result<SyncInput> input = fresh_source.Fetch(SyncMode::kFull, "");
    ASSERT_TRUE(input.ok()) << input.status().ToString();
    Result<std::vector<events::Event>> events = ComputeSync({}, *input, SyncOptions{});
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    DirectoryState oracle;
    for (const events::Event& e : *events) {
      if (e.has_directory_entry_upserted()) {
        oracle[e.directory_entry_upserted().entry().id()] = e.directory_entry_upserted().entry();
      }
    }
    DirectoryState ours = view_.Snapshot();
    EXPECT_EQ(ours.size(), oracle.size());
    for (const auto& [id, entry] : oracle) {
      auto it = ours.find(id);
      if (it == ours.end()) {
        ADD_FAILURE() << "missing from the projection: " << entry.ShortDebugString();
        continue;
      }
      EXPECT_EQ(it->second.SerializeAsString(), entry.SerializeAsString())
          << "projection: " << it->second.ShortDebugString()
          << "\ndirectory:  " << entry.ShortDebugString();
    }
  }

  std::optional<events::DirectoryEntry> ByName(const std::string& name) const {
    for (const auto& [id, entry] : view_.Snapshot()) {
      if (Name(entry) == name) return entry;
    }
    return std::nullopt;
  }

  static std::string Name(const events::DirectoryEntry& e) {
    return e.sam_account_name().empty() ? e.distinguished_name() : e.sam_account_name();
  }

  uint64_t proposer_completions() const { return proposer_.completions; }
  simulator::ManualEnv& env() { return env_; }
  DirectoryView& view() { return view_; }
  DirectoryProjection& projection() { return projection_; }
  LdapSource& source() { return source_; }
  DirectorySync& sync() { return *sync_; }

 private:
  LdapSourceOptions options_;
  simulator::ManualEnv env_{42};
  DirectoryView view_;
  DirectoryProjection projection_;
  MapState state_;
  ApplyingProposer proposer_;
  LdapSource source_;
  std::unique_ptr<DirectorySync> sync_;
  std::map<std::string, std::string> names_;
};

}  // namespace lifeboat::directory::testing
