#include "modules/directory/sync_core.h"

#include <gtest/gtest.h>

#include "tests/unit/directory/test_entries.h"

namespace lifeboat::directory {
namespace {

using testing::Group;
using testing::Id;
using testing::User;
using testing::UserDn;

// Applies events to a plain state map, as the projection would.
void Fold(DirectoryState& state, const std::vector<events::Event>& events) {
  for (const events::Event& e : events) {
    if (e.has_directory_entry_upserted()) {
      state[e.directory_entry_upserted().entry().id()] = e.directory_entry_upserted().entry();
    } else if (e.has_directory_entry_removed()) {
      state.erase(e.directory_entry_removed().id());
    }
  }
}

std::vector<events::Event> Sync(DirectoryState& state, std::vector<LdapEntry> entries,
                                SyncMode mode = SyncMode::kFull, SyncOptions options = {}) {
  SyncInput input;
  input.mode = mode;
  input.entries = std::move(entries);
  input.cookie = "cookie-1";
  input.duration_micros = 1234;
  Result<std::vector<events::Event>> events = ComputeSync(state, input, options);
  EXPECT_TRUE(events.ok()) << events.status().ToString();
  if (!events.ok()) return {};
  Fold(state, *events);
  return std::move(events).value();
}

const events::DirectorySyncCompleted& Completed(const std::vector<events::Event>& events) {
  EXPECT_TRUE(!events.empty() && events.back().has_directory_sync_completed());
  return events.back().directory_sync_completed();
}

std::vector<LdapEntry> ThreeUsers() {
  return {User(Id(1), "alice", "alice@corp.example.test"),
          User(Id(2), "bob", "bob@corp.example.test"),
          User(Id(3), "carol", "carol@corp.example.test")};
}

TEST(SyncCore, InitialFullSyncUpsertsAndProvisionsEveryMailUser) {
  DirectoryState state;
  std::vector<events::Event> events = Sync(state, ThreeUsers());
  ASSERT_EQ(events.size(), 7u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(events[2 * i].directory_entry_upserted().entry().id(), Id(i + 1));
    EXPECT_EQ(events[2 * i + 1].mailbox_provisioned().mailbox_id(), Id(i + 1));
  }
  EXPECT_EQ(events[1].mailbox_provisioned().primary_address(), "alice@corp.example.test");
  const auto& done = Completed(events);
  EXPECT_TRUE(done.full());
  EXPECT_EQ(done.upserted(), 3u);
  EXPECT_EQ(done.removed(), 0u);
  EXPECT_EQ(done.unchanged(), 0u);
  EXPECT_EQ(done.cookie(), "cookie-1");
  EXPECT_EQ(done.duration_micros(), 1234);
  EXPECT_EQ(done.source(), "ldap");
  EXPECT_EQ(state.size(), 3u);
}

TEST(SyncCore, NothingChangedEmitsOnlyTheCompletion) {
  DirectoryState state;
  Sync(state, ThreeUsers());
  std::vector<events::Event> events = Sync(state, ThreeUsers());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Completed(events).unchanged(), 3u);
  EXPECT_EQ(Completed(events).upserted(), 0u);
  // Incremental with the same entries: still nothing.
  EXPECT_EQ(Sync(state, ThreeUsers(), SyncMode::kIncremental).size(), 1u);
}

TEST(SyncCore, ModifyAndRenameUpsertTheSameIdOnly) {
  DirectoryState state;
  Sync(state, ThreeUsers());
  LdapEntry bob = User(Id(2), "bob", "bob@corp.example.test");
  bob.dn = "CN=Robert,OU=Moved,DC=corp,DC=example,DC=test";
  bob.Add("mobile", "+1 555 0199");
  bob.Add("proxyAddresses", "smtp:robert@corp.example.test");
  std::vector<events::Event> events = Sync(state, {bob}, SyncMode::kIncremental);
  ASSERT_EQ(events.size(), 2u);
  const events::DirectoryEntry& entry = events[0].directory_entry_upserted().entry();
  EXPECT_EQ(entry.id(), Id(2));
  EXPECT_EQ(entry.distinguished_name(), "CN=Robert,OU=Moved,DC=corp,DC=example,DC=test");
  EXPECT_EQ(entry.mobile(), "+1 555 0199");
  EXPECT_EQ(entry.addresses_size(), 2);
  EXPECT_EQ(Completed(events).upserted(), 1u);
  EXPECT_EQ(state.size(), 3u);
}

TEST(SyncCore, FullSyncRemovesWhatIsGoneAndIncrementalRemovesTombstones) {
  DirectoryState state;
  std::vector<LdapEntry> users;
  for (int i = 1; i <= 20; ++i) users.push_back(User(Id(i), "u" + std::to_string(i), ""));
  Sync(state, users);
  users.pop_back();
  std::vector<events::Event> events = Sync(state, users);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].directory_entry_removed().id(), Id(20));
  EXPECT_EQ(events[0].directory_entry_removed().reason(), "absent from full sync");

  LdapEntry tombstone;
  tombstone.dn = "CN=u19\\0ADEL:x,CN=Deleted Objects,DC=corp";
  tombstone.Add("entryUUID", Id(19));
  tombstone.Add("isDeleted", "TRUE");
  events = Sync(state, {tombstone}, SyncMode::kIncremental);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].directory_entry_removed().id(), Id(19));
  EXPECT_EQ(events[0].directory_entry_removed().reason(), "tombstone");
  EXPECT_EQ(Completed(events).removed(), 1u);

  SyncInput input;
  input.mode = SyncMode::kIncremental;
  input.deleted_ids = {Id(18)};
  Result<std::vector<events::Event>> listed = ComputeSync(state, input, {});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)[0].directory_entry_removed().reason(), "absent from directory");
}

TEST(SyncCore, IncrementalIdListingRemovesEntriesNoLongerListed) {
  DirectoryState state;
  Sync(state, ThreeUsers());
  SyncInput input;
  input.mode = SyncMode::kIncremental;
  input.entries = {User(Id(4), "dave", "dave@corp.example.test")};
  input.ids_complete = true;
  input.present_ids = {Id(1), Id(3)};  // bob is gone; dave is new (fetched, so not removed)
  Result<std::vector<events::Event>> events = ComputeSync(state, input, {});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ((*events)[0].directory_entry_removed().id(), Id(2));
  EXPECT_EQ((*events)[0].directory_entry_removed().reason(), "absent from directory");
  EXPECT_EQ((*events)[1].directory_entry_upserted().entry().id(), Id(4));
  EXPECT_EQ((*events)[2].mailbox_provisioned().mailbox_id(), Id(4));
}

TEST(SyncCore, MassDeprovisionGuardRefusesUnlessConfirmed) {
  DirectoryState state;
  std::vector<LdapEntry> users;
  for (int i = 1; i <= 100; ++i) users.push_back(User(Id(i), "u" + std::to_string(i), ""));
  Sync(state, users);
  std::vector<LdapEntry> fewer(users.begin(), users.begin() + 89);  // 11 of 100 gone
  SyncInput input;
  input.entries = fewer;
  Result<std::vector<events::Event>> refused = ComputeSync(state, input, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);

  SyncOptions confirmed;
  confirmed.confirm_mass_deprovision = true;
  Result<std::vector<events::Event>> allowed = ComputeSync(state, input, confirmed);
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(allowed->back().directory_sync_completed().removed(), 11u);

  input.entries.assign(users.begin(), users.begin() + 90);  // exactly 10%: allowed
  EXPECT_TRUE(ComputeSync(state, input, {}).ok());
}

TEST(SyncCore, GuardAlsoStopsATombstoneStormInAnIncrementalSync) {
  DirectoryState state;
  std::vector<LdapEntry> users;
  for (int i = 1; i <= 40; ++i) users.push_back(User(Id(i), "u" + std::to_string(i), ""));
  Sync(state, users);
  SyncInput input;
  input.mode = SyncMode::kIncremental;
  input.ids_complete = true;  // the listing came back empty
  EXPECT_EQ(ComputeSync(state, input, {}).status().code(), StatusCode::kFailedPrecondition);
  SyncOptions confirmed;
  confirmed.confirm_mass_deprovision = true;
  EXPECT_TRUE(ComputeSync(state, input, confirmed).ok());
}

TEST(SyncCore, GuardFloorAllowsSmallDirectoriesToLoseAFewEntries) {
  DirectoryState state;
  Sync(state, ThreeUsers());
  std::vector<events::Event> events =
      Sync(state, {User(Id(1), "alice", "alice@corp.example.test")});
  EXPECT_EQ(Completed(events).removed(), 2u);
}

TEST(SyncCore, EmptyFullSyncOfABigDirectoryIsRefused) {
  DirectoryState state;
  std::vector<LdapEntry> users;
  for (int i = 1; i <= 30; ++i) users.push_back(User(Id(i), "u" + std::to_string(i), ""));
  Sync(state, users);
  SyncInput empty;
  EXPECT_FALSE(ComputeSync(state, empty, {}).ok());
}

TEST(SyncCore, ManagerAndMembershipResolveToIdsAndMemberOfIsDerived) {
  DirectoryState state;
  LdapEntry bob = User(Id(2), "bob", "bob@corp.example.test");
  bob.Add("manager", "cn=ALICE, cn=users,dc=corp,dc=example,dc=test");
  std::vector<LdapEntry> entries = {User(Id(1), "alice", "alice@corp.example.test"), bob,
                                    Group(Id(10), "Sales", "sales@corp.example.test",
                                          {UserDn("alice"), UserDn("bob"), "CN=Outside,DC=x"})};
  Sync(state, entries);
  EXPECT_EQ(state[Id(2)].manager_id(), Id(1));
  ASSERT_EQ(state[Id(10)].member_ids_size(), 2);
  EXPECT_EQ(state[Id(10)].member_ids(0), Id(1));
  ASSERT_EQ(state[Id(1)].member_of_ids_size(), 1);
  EXPECT_EQ(state[Id(1)].member_of_ids(0), Id(10));

  // Remove bob from the group (incremental: only the group comes back): group and bob change.
  std::vector<events::Event> events =
      Sync(state, {Group(Id(10), "Sales", "sales@corp.example.test", {UserDn("alice")})},
           SyncMode::kIncremental);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].directory_entry_upserted().entry().id(), Id(2));
  EXPECT_EQ(events[0].directory_entry_upserted().entry().member_of_ids_size(), 0);
  EXPECT_EQ(events[1].directory_entry_upserted().entry().id(), Id(10));
  EXPECT_EQ(Completed(events).upserted(), 2u);
}

TEST(SyncCore, ExtendedDnReferencesResolveByGuidEvenWithAStaleDn) {
  DirectoryState state;
  Sync(state, {User(Id(1), "alice", "alice@corp.example.test")});
  LdapEntry group = Group(Id(10), "Sales", "sales@corp.example.test",
                          {"<GUID=" + Id(1) + ">;<SID=S-1-5-21-9>;CN=OldName,DC=gone"});
  group.dn = "<GUID=" + Id(10) + ">;CN=Sales,CN=Users,DC=corp,DC=example,DC=test";
  Sync(state, {group}, SyncMode::kIncremental);
  ASSERT_EQ(state[Id(10)].member_ids_size(), 1);
  EXPECT_EQ(state[Id(10)].member_ids(0), Id(1));
  EXPECT_EQ(state[Id(10)].distinguished_name(), "CN=Sales,CN=Users,DC=corp,DC=example,DC=test");
}

// OpenLDAP's refint rewrites member values after a rename completes: a group read in between
// still names the member by its former DN. It stays a member (the next sync sees the new DN).
TEST(SyncCore, AFormerDnStillNamesARenamedEntryUntilReferencesCatchUp) {
  DirectoryState state;
  Sync(state, {User(Id(1), "alice", "alice@corp.example.test"),
               Group(Id(10), "Sales", "sales@corp.example.test", {UserDn("alice")})});
  LdapEntry renamed = User(Id(1), "alice", "alice@corp.example.test");
  renamed.dn = UserDn("alice.smith");
  std::vector<events::Event> events =
      Sync(state, {renamed, Group(Id(10), "Sales", "sales@corp.example.test", {UserDn("alice")})},
           SyncMode::kIncremental);
  ASSERT_EQ(events.size(), 2u);  // alice's new DN; the group is unchanged
  EXPECT_EQ(events[0].directory_entry_upserted().entry().id(), Id(1));
  ASSERT_EQ(state[Id(10)].member_ids_size(), 1);
  EXPECT_EQ(state[Id(10)].member_ids(0), Id(1));

  // A new entry that takes the former DN is the one that DN names from then on.
  LdapEntry newcomer = User(Id(2), "alice2", "alice2@corp.example.test");
  newcomer.dn = UserDn("alice");
  Sync(state, {newcomer, Group(Id(10), "Sales", "sales@corp.example.test", {UserDn("alice")})},
       SyncMode::kIncremental);
  ASSERT_EQ(state[Id(10)].member_ids_size(), 1);
  EXPECT_EQ(state[Id(10)].member_ids(0), Id(2));
}

TEST(SyncCore, NestedGroupsAndRemovedMembersAreDropped) {
  DirectoryState state;
  Sync(state, {User(Id(1), "alice", "alice@corp.example.test"),
               Group(Id(10), "Inner", "", {UserDn("alice")}),
               Group(Id(11), "Outer", "all@corp.example.test",
                     {"CN=Inner,CN=Users,DC=corp,DC=example,DC=test"})});
  ASSERT_EQ(state[Id(11)].member_ids_size(), 1);
  EXPECT_EQ(state[Id(11)].member_ids(0), Id(10));
  EXPECT_EQ(state[Id(10)].member_of_ids(0), Id(11));

  LdapEntry tombstone;
  tombstone.Add("entryUUID", Id(1));
  tombstone.Add("isDeleted", "TRUE");
  std::vector<events::Event> events = Sync(state, {tombstone}, SyncMode::kIncremental);
  // alice removed, Inner loses its member.
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].directory_entry_removed().id(), Id(1));
  EXPECT_EQ(events[1].directory_entry_upserted().entry().id(), Id(10));
  EXPECT_EQ(events[1].directory_entry_upserted().entry().member_ids_size(), 0);
}

TEST(SyncCore, DuplicateAddressStaysWithTheOlderEntryWhateverTheOrder) {
  LdapEntry old_user = User(Id(7), "old", "shared@corp.example.test", "20200101000000.0Z");
  LdapEntry new_user = User(Id(3), "new", "shared@corp.example.test", "20240101000000.0Z");
  new_user.Add("proxyAddresses", "smtp:new@corp.example.test");
  for (bool reversed : {false, true}) {
    DirectoryState state;
    std::vector<LdapEntry> entries = {old_user, new_user};
    if (reversed) std::swap(entries[0], entries[1]);
    std::vector<events::Event> events = Sync(state, entries);
    EXPECT_EQ(state[Id(7)].primary_address(), "shared@corp.example.test");
    EXPECT_EQ(state[Id(3)].primary_address(), "new@corp.example.test");
    ASSERT_EQ(state[Id(3)].addresses_size(), 1);
    ASSERT_EQ(Completed(events).problems_size(), 1);
    EXPECT_NE(Completed(events).problems(0).find("kept by old"), std::string::npos);
  }
  // Same creation time: the smaller id keeps it.
  DirectoryState state;
  Sync(state,
       {User(Id(7), "a", "same@corp.example.test"), User(Id(3), "b", "same@corp.example.test")});
  EXPECT_EQ(state[Id(3)].primary_address(), "same@corp.example.test");
  EXPECT_EQ(state[Id(7)].primary_address(), "");
}

TEST(SyncCore, ReportsUsersWithoutMailAndRejectedEntriesWithoutFailing) {
  DirectoryState state;
  LdapEntry no_id = User(Id(5), "ghost", "ghost@corp.example.test");
  no_id.attributes.erase("entryuuid");
  LdapEntry bad_mail = User(Id(6), "typo", "typo@@corp");
  std::vector<events::Event> events = Sync(state, {User(Id(1), "svc", ""), no_id, bad_mail});
  const auto& done = Completed(events);
  EXPECT_EQ(done.rejected(), 1u);
  EXPECT_EQ(done.upserted(), 2u);
  std::string all;
  for (const std::string& p : done.problems()) all += p + "\n";
  EXPECT_NE(all.find("svc has no mail address"), std::string::npos) << all;
  EXPECT_NE(all.find("malformed address 'typo@@corp'"), std::string::npos) << all;
  EXPECT_NE(all.find("has no objectGUID or entryUUID"), std::string::npos) << all;
  // No mailbox for users without mail.
  for (const events::Event& e : events) EXPECT_FALSE(e.has_mailbox_provisioned());
}

TEST(SyncCore, ProblemsAreCapped) {
  DirectoryState state;
  std::vector<LdapEntry> users;
  for (int i = 1; i <= 150; ++i) users.push_back(User(Id(i), "u" + std::to_string(i), ""));
  std::vector<events::Event> events = Sync(state, users);
  const auto& done = Completed(events);
  ASSERT_EQ(done.problems_size(), static_cast<int>(kSyncProblemsMax) + 1);
  EXPECT_EQ(done.problems(kSyncProblemsMax), "... and 50 more");
}

TEST(SyncCore, GainingAMailAddressProvisionsAMailbox) {
  DirectoryState state;
  Sync(state, {User(Id(1), "alice", "")});
  std::vector<events::Event> events =
      Sync(state, {User(Id(1), "alice", "alice@corp.example.test")}, SyncMode::kIncremental);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].mailbox_provisioned().mailbox_id(), Id(1));
}

TEST(SyncCore, EntriesOfAnotherSourceAreNeverRemovedOrEdited) {
  DirectoryState state;
  SyncOptions import;
  import.source = "import:users.csv";
  Sync(state, {User(Id(50), "imported", "shared@corp.example.test", "20250101000000Z")},
       SyncMode::kFull, import);
  std::vector<events::Event> events =
      Sync(state, {User(Id(1), "alice", "shared@corp.example.test", "20000101000000Z")});
  EXPECT_EQ(state.size(), 2u);
  // The imported entry holds the address: the LDAP entry loses it.
  EXPECT_EQ(state[Id(50)].primary_address(), "shared@corp.example.test");
  EXPECT_EQ(state[Id(1)].primary_address(), "");
  EXPECT_EQ(Completed(events).removed(), 0u);
}

}  // namespace
}  // namespace lifeboat::directory
