#include "modules/directory/directory_projection.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "modules/directory/sync_core.h"
#include "tests/unit/directory/test_entries.h"
#include "tests/unit/eventlog/map_projection_state.h"

namespace lifeboat::directory {
namespace {

using smtp::RecipientVerdict;
using testing::Group;
using testing::Id;
using testing::User;
using testing::UserDn;

using MapState = eventlog::testing::MapProjectionState;

class DirectoryProjectionTest : public ::testing::Test {
 protected:
  void SyncAndApply(std::vector<LdapEntry> entries, SyncMode mode = SyncMode::kFull) {
    SyncInput input;
    input.mode = mode;
    input.entries = std::move(entries);
    input.cookie = "c" + std::to_string(++syncs_);
    Result<std::vector<events::Event>> events = ComputeSync(view_.Snapshot(), input, {});
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    for (events::Event& event : *events) {
      event.set_timestamp_unix_micros(1000 * syncs_);
      ASSERT_TRUE(projection_.Apply(event, state_).ok());
    }
    projection_.OnBatchCommitted();  // as the runner does once the state write succeeded
  }

  DirectoryView view_{{"corp.example.test", "Corp.Example.ORG"}};
  DirectoryProjection projection_{view_};
  MapState state_;
  int syncs_ = 0;
};

TEST_F(DirectoryProjectionTest, ResolvesMailboxesListsUnknownAndForeign) {
  LdapEntry alice = User(Id(1), "alice", "Alice@corp.example.test");
  alice.Add("proxyAddresses", "smtp:a.smith@corp.example.org");
  LdapEntry contact = User(Id(3), "partner", "partner@corp.example.test");
  contact.attributes["objectclass"] = {"contact"};
  SyncAndApply(
      {alice, contact, Group(Id(10), "Sales", "sales@corp.example.test", {UserDn("alice")})});
  EXPECT_EQ(view_.Resolve("alice@corp.example.test"), RecipientVerdict::kMailbox);
  EXPECT_EQ(view_.Resolve("ALICE@CORP.EXAMPLE.TEST"), RecipientVerdict::kMailbox);
  EXPECT_EQ(view_.Resolve("A.Smith@corp.example.org"), RecipientVerdict::kMailbox);
  EXPECT_EQ(view_.Resolve("sales@corp.example.test"), RecipientVerdict::kList);
  EXPECT_EQ(view_.Resolve("nobody@corp.example.test"), RecipientVerdict::kUnknownUser);
  EXPECT_EQ(view_.Resolve("partner@corp.example.test"), RecipientVerdict::kUnknownUser);
  EXPECT_EQ(view_.Resolve("alice@elsewhere.example"), RecipientVerdict::kNotOurDomain);
  EXPECT_EQ(state_.values.at("addr/alice@corp.example.test"), Id(1));
  EXPECT_EQ(state_.values.at("addr/a.smith@corp.example.org"), Id(1));
}

TEST_F(DirectoryProjectionTest, UnknownAddressIsNotLoadedUntilTheFirstSyncLands) {
  view_.SetAwaitingFirstSync(true);  // a node with a directory source that never synced
  EXPECT_FALSE(projection_.HasCompletedSync());
  EXPECT_EQ(view_.Resolve("alice@corp.example.test"), RecipientVerdict::kDirectoryNotLoaded);
  EXPECT_EQ(view_.Resolve("alice@elsewhere.example"), RecipientVerdict::kNotOurDomain);

  // The sync's entries and its completion event arrive in order: known entries resolve at once,
  // and the completion ends the wait for everyone else.
  SyncInput input;
  input.mode = SyncMode::kFull;
  input.entries = {User(Id(1), "alice", "alice@corp.example.test")};
  Result<std::vector<events::Event>> events = ComputeSync(view_.Snapshot(), input, {});
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_TRUE(events->back().has_directory_sync_completed());
  for (size_t i = 0; i + 1 < events->size(); ++i) {
    ASSERT_TRUE(projection_.Apply((*events)[i], state_).ok());
  }
  projection_.OnBatchCommitted();
  EXPECT_EQ(view_.Resolve("alice@corp.example.test"), RecipientVerdict::kMailbox);
  EXPECT_EQ(view_.Resolve("nobody@corp.example.test"), RecipientVerdict::kDirectoryNotLoaded);
  ASSERT_TRUE(projection_.Apply(events->back(), state_).ok());
  EXPECT_FALSE(projection_.HasCompletedSync());  // staged until its batch commits
  projection_.OnBatchCommitted();
  EXPECT_TRUE(projection_.HasCompletedSync());
  EXPECT_EQ(view_.Resolve("nobody@corp.example.test"), RecipientVerdict::kUnknownUser);
}

TEST_F(DirectoryProjectionTest, ExpandsNestedListsAndSurvivesCycles) {
  SyncAndApply(
      {User(Id(1), "alice", "alice@corp.example.test"), User(Id(2), "bob", "bob@corp.example.test"),
       User(Id(3), "nomail", ""),
       Group(Id(10), "A", "a@corp.example.test",
             {UserDn("alice"), "CN=B,CN=Users,DC=corp,DC=example,DC=test"}),
       Group(Id(11), "B", "",
             {UserDn("bob"), UserDn("nomail"), "CN=A,CN=Users,DC=corp,DC=example,DC=test"})});
  std::vector<std::string> expected = {Id(1), Id(2)};
  EXPECT_EQ(view_.MailboxesFor("a@corp.example.test"), expected);
  EXPECT_EQ(view_.ExpandList(Id(11)), expected);
  EXPECT_EQ(view_.MailboxesFor("bob@corp.example.test"), std::vector<std::string>{Id(2)});
  EXPECT_TRUE(view_.MailboxesFor("x@corp.example.test").empty());
}

TEST_F(DirectoryProjectionTest, RemovalAndAliasChangesUpdateTheIndex) {
  LdapEntry alice = User(Id(1), "alice", "alice@corp.example.test");
  alice.Add("proxyAddresses", "smtp:old@corp.example.test");
  SyncAndApply({alice, User(Id(2), "bob", "bob@corp.example.test")});
  // The alias moves from alice to bob in one sync.
  LdapEntry alice2 = User(Id(1), "alice", "alice@corp.example.test");
  LdapEntry bob2 = User(Id(2), "bob", "bob@corp.example.test");
  bob2.Add("proxyAddresses", "smtp:old@corp.example.test");
  SyncAndApply({alice2, bob2});
  EXPECT_EQ(view_.FindByAddress("old@corp.example.test")->id(), Id(2));
  EXPECT_EQ(state_.values.at("addr/old@corp.example.test"), Id(2));
  SyncAndApply({alice2});
  EXPECT_EQ(view_.Resolve("bob@corp.example.test"), RecipientVerdict::kUnknownUser);
  EXPECT_EQ(view_.Resolve("old@corp.example.test"), RecipientVerdict::kUnknownUser);
  EXPECT_EQ(state_.values.count("addr/old@corp.example.test"), 0u);
  EXPECT_EQ(state_.values.count("entry/" + Id(2)), 0u);
}

TEST_F(DirectoryProjectionTest, RestoreRebuildsTheSameViewFromState) {
  SyncAndApply({User(Id(1), "alice", "alice@corp.example.test"),
                Group(Id(10), "Sales", "sales@corp.example.test", {UserDn("alice")})});
  DirectoryView rebuilt({"corp.example.test"});
  DirectoryProjection reopened(rebuilt);
  for (const auto& [key, value] : state_.values) ASSERT_TRUE(reopened.Restore(key, value).ok());
  DirectoryState a = view_.Snapshot();
  DirectoryState b = rebuilt.Snapshot();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [id, entry] : a) EXPECT_EQ(entry.SerializeAsString(), b[id].SerializeAsString());
  EXPECT_EQ(rebuilt.Resolve("sales@corp.example.test"), RecipientVerdict::kList);
  ASSERT_TRUE(reopened.LastSync("ldap").has_value());
  EXPECT_EQ(reopened.LastSync("ldap")->last.cookie(), "c1");
  EXPECT_EQ(reopened.LastSync("ldap")->timestamp_unix_micros, 1000);
  EXPECT_FALSE(reopened.Restore("entry/x", "\xff\xff garbage").ok());
}

TEST_F(DirectoryProjectionTest, IgnoresOtherEventsAndRejectsUpsertWithoutId) {
  events::Event other;
  other.mutable_routing_changed()->set_scope("all");
  EXPECT_TRUE(projection_.Apply(other, state_).ok());
  events::Event unknown;
  EXPECT_TRUE(projection_.Apply(unknown, state_).ok());
  events::Event bad;
  bad.mutable_directory_entry_upserted();
  EXPECT_EQ(projection_.Apply(bad, state_).code(), StatusCode::kCorruption);
  EXPECT_TRUE(state_.values.empty());
}

TEST_F(DirectoryProjectionTest, ResolveIsSafeWhileSyncApplies) {
  SyncAndApply({User(Id(1), "alice", "alice@corp.example.test")});
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::thread reader([&] {
    while (!stop) {
      if (view_.Resolve("alice@corp.example.test") != RecipientVerdict::kMailbox) ++wrong;
    }
  });
  for (int round = 0; round < 50; ++round) {
    LdapEntry alice = User(Id(1), "alice", "alice@corp.example.test");
    alice.Add("mobile", std::to_string(round));
    SyncAndApply({alice, User(Id(100 + round), "u" + std::to_string(round), "")},
                 SyncMode::kIncremental);
  }
  stop = true;
  reader.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(view_.FindById(Id(1))->mobile(), "49");
}

}  // namespace
}  // namespace lifeboat::directory
