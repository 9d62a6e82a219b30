// The routing projection and its table: per-recipient decisions from RoutingChanged and directory
// events, the view changing only at commit, Restore and rebuild giving the same state.
#include "modules/routing/routing_projection.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "tests/unit/eventlog/map_projection_state.h"

namespace lifeboat::routing {
namespace {

using MapState = eventlog::testing::MapProjectionState;

events::Event Routing(std::string scope, events::RoutingMode mode, bool automatic = false) {
  events::Event event;
  events::RoutingChanged* change = event.mutable_routing_changed();
  change->set_scope(std::move(scope));
  change->set_mode(mode);
  change->set_automatic(automatic);
  change->set_forced_by_operator(change->scope() != "all" && !automatic);  // as the core does
  change->set_reason("test");
  return event;
}

events::Event Entry(std::string id, std::vector<std::string> addresses,
                    std::vector<std::string> member_of = {}) {
  events::Event event;
  events::DirectoryEntry* entry = event.mutable_directory_entry_upserted()->mutable_entry();
  entry->set_id(std::move(id));
  entry->set_display_name("not kept by the routing projection");
  for (std::string& address : addresses) entry->add_addresses(std::move(address));
  for (std::string& group : member_of) entry->add_member_of_ids(std::move(group));
  return event;
}

events::Event Removed(std::string id) {
  events::Event event;
  event.mutable_directory_entry_removed()->set_id(std::move(id));
  return event;
}

// SHA-256 over every key and value in key order, each preceded by its length: the rule of
// eventlog::HashStateDatabase, over the map that stands in for the state LevelDB.
std::string Hash(const MapState& state) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  LB_CHECK(context != nullptr && EVP_DigestInit_ex(context, EVP_sha256(), nullptr) == 1);
  for (const auto& [key, value] : state.values) {
    for (const std::string* part : {&key, &value}) {
      uint64_t size = part->size();
      LB_CHECK(EVP_DigestUpdate(context, &size, sizeof size) == 1);
      LB_CHECK(EVP_DigestUpdate(context, part->data(), part->size()) == 1);
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  LB_CHECK(EVP_DigestFinal_ex(context, digest, &length) == 1);
  EVP_MD_CTX_free(context);
  return std::string(reinterpret_cast<char*>(digest), length);
}

class RoutingProjectionTest : public ::testing::Test {
 protected:
  void ApplyBatch(const std::vector<events::Event>& batch) {
    for (const events::Event& event : batch) {
      Status status = projection_.Apply(event, state_);
      ASSERT_TRUE(status.ok()) << status.ToString();
    }
    projection_.OnBatchCommitted();
    log_.insert(log_.end(), batch.begin(), batch.end());
  }

  RoutingTable table_;
  RoutingProjection projection_{table_};
  MapState state_;
  std::vector<events::Event> log_;
};

TEST_F(RoutingProjectionTest, NormalRelaysAndKeepsTheHistoryCopy) {
  RecipientRoute route = table_.RouteFor("alice@corp.test");
  EXPECT_EQ(route.mode, events::ROUTING_MODE_NORMAL);
  EXPECT_EQ(route.scope, "all");
  EXPECT_TRUE(route.relay_to_primary);
  EXPECT_TRUE(route.keep_for_webmail);
  ApplyBatch({Routing("all", events::ROUTING_MODE_CONTINUITY)});
  route = table_.RouteFor("alice@corp.test");
  EXPECT_EQ(route.mode, events::ROUTING_MODE_CONTINUITY);
  EXPECT_FALSE(route.relay_to_primary);
  EXPECT_TRUE(route.keep_for_webmail);
  ApplyBatch({Routing("all", events::ROUTING_MODE_FAILBACK)});
  route = table_.RouteFor("alice@corp.test");
  EXPECT_TRUE(route.relay_to_primary);
  EXPECT_TRUE(route.keep_for_webmail);
}

TEST_F(RoutingProjectionTest, GroupBeatsDomainBeatsAllAndContinuityWinsAmongGroups) {
  ApplyBatch({Entry("g-pilots", {"pilots@corp.test"}), Entry("g-sales", {"sales@corp.test"}),
              Entry("g-nested", {}, {"g-pilots"}),
              Entry("u-alice", {"Alice@Corp.test", "a.smith@corp.test"}, {"g-sales"}),
              Entry("u-bob", {"bob@corp.test"}, {"g-nested", "g-sales"}),
              Entry("u-carol", {"carol@corp.test"}),
              Routing("domain:corp.test", events::ROUTING_MODE_CONTINUITY),
              Routing("group:g-sales", events::ROUTING_MODE_NORMAL),
              Routing("group:g-pilots", events::ROUTING_MODE_CONTINUITY)});
  // alice: her group is forced normal, over the domain's continuity.
  RecipientRoute alice = table_.RouteFor("a.smith@CORP.test");
  EXPECT_EQ(alice.scope, "group:g-sales");
  EXPECT_TRUE(alice.relay_to_primary);
  // bob: in sales (normal) and, through g-nested, in pilots (continuity): continuity wins.
  RecipientRoute bob = table_.RouteFor("bob@corp.test");
  EXPECT_EQ(bob.scope, "group:g-pilots");
  EXPECT_FALSE(bob.relay_to_primary);
  // carol: no group scope: her domain's.
  EXPECT_EQ(table_.RouteFor("carol@corp.test").scope, "domain:corp.test");
  // Someone the directory does not know, in another domain: "all".
  EXPECT_EQ(table_.RouteFor("dave@other.test").scope, "all");
  EXPECT_TRUE(table_.RouteFor("dave@other.test").relay_to_primary);

  // The domain back to automatic: it follows "all" again; bob leaves the pilots.
  ApplyBatch({Routing("domain:corp.test", events::ROUTING_MODE_NORMAL, /*automatic=*/true),
              Entry("u-bob", {"bob@corp.test"}, {"g-sales"}), Removed("u-alice")});
  EXPECT_EQ(table_.RouteFor("carol@corp.test").scope, "all");
  EXPECT_EQ(table_.RouteFor("bob@corp.test").scope, "group:g-sales");
  EXPECT_EQ(table_.RouteFor("alice@corp.test").scope, "all");
  EXPECT_EQ(state_.values.count("scope/domain:corp.test"), 0u);
  EXPECT_EQ(state_.values.count("member/u-alice"), 0u);
  EXPECT_EQ(table_.Scopes().size(), 3u);  // all, both groups
}

TEST_F(RoutingProjectionTest, ViewChangesOnlyWhenTheBatchCommits) {
  ASSERT_TRUE(projection_.Apply(Routing("all", events::ROUTING_MODE_CONTINUITY), state_).ok());
  EXPECT_EQ(table_.RouteFor("alice@corp.test").mode, events::ROUTING_MODE_NORMAL);
  projection_.OnBatchDiscarded();  // the state write failed: the log applies it again later
  EXPECT_EQ(table_.RouteFor("alice@corp.test").mode, events::ROUTING_MODE_NORMAL);
  ASSERT_TRUE(projection_.Apply(Routing("all", events::ROUTING_MODE_CONTINUITY), state_).ok());
  EXPECT_EQ(table_.RouteFor("alice@corp.test").mode, events::ROUTING_MODE_NORMAL);
  projection_.OnBatchCommitted();
  EXPECT_EQ(table_.RouteFor("alice@corp.test").mode, events::ROUTING_MODE_CONTINUITY);
}

TEST_F(RoutingProjectionTest, MalformedEventsStopTheRunner) {
  EXPECT_EQ(projection_.Apply(Routing("everything", events::ROUTING_MODE_NORMAL), state_).code(),
            StatusCode::kCorruption);
  EXPECT_EQ(projection_.Apply(Routing("all", events::ROUTING_MODE_UNSPECIFIED), state_).code(),
            StatusCode::kCorruption);
  EXPECT_EQ(projection_.Apply(Entry("", {"x@corp.test"}), state_).code(), StatusCode::kCorruption);
  events::Event unknown;  // a payload this version does not know
  EXPECT_TRUE(projection_.Apply(unknown, state_).ok());
}

TEST_F(RoutingProjectionTest, RebuildAndRestoreGiveTheSameStateAndDecisions) {
  ApplyBatch({Entry("g-pilots", {"pilots@corp.test"}), Entry("u-alice", {"alice@corp.test"}),
              Entry("u-bob", {"bob@corp.test"}, {"g-pilots"})});
  ApplyBatch({Routing("all", events::ROUTING_MODE_CONTINUITY),
              Routing("group:g-pilots", events::ROUTING_MODE_NORMAL)});
  ApplyBatch({Removed("u-alice"), Entry("u-alice", {"alice@corp.test", "al@corp.test"}),
              Routing("domain:corp.test", events::ROUTING_MODE_NORMAL),
              Routing("domain:corp.test", events::ROUTING_MODE_CONTINUITY, true)});
  const std::string incremental = Hash(state_);

  // Rebuild: the same log into an empty state, one event per batch.
  RoutingTable rebuilt_table;
  RoutingProjection rebuilt{rebuilt_table};
  MapState rebuilt_state;
  for (const events::Event& event : log_) {
    ASSERT_TRUE(rebuilt.Apply(event, rebuilt_state).ok());
    rebuilt.OnBatchCommitted();
  }
  EXPECT_EQ(Hash(rebuilt_state), incremental);
  EXPECT_NE(Hash(MapState{}), incremental);

  // Restore: a node opening on the stored state makes the same decisions.
  RoutingTable restored_table;
  RoutingProjection restored{restored_table};
  for (const auto& [key, value] : state_.values) ASSERT_TRUE(restored.Restore(key, value).ok());
  for (const RoutingTable* table : {&rebuilt_table, &restored_table}) {
    EXPECT_EQ(table->ScopeModes(), table_.ScopeModes());
    for (std::string_view address :
         {"alice@corp.test", "al@corp.test", "bob@corp.test", "x@other.test"}) {
      EXPECT_EQ(table->RouteFor(address).scope, table_.RouteFor(address).scope) << address;
      EXPECT_EQ(table->RouteFor(address).mode, table_.RouteFor(address).mode) << address;
    }
  }
  EXPECT_EQ(table_.RouteFor("bob@corp.test").scope, "group:g-pilots");
  EXPECT_EQ(table_.RouteFor("al@corp.test").mode, events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ(restored.Restore("bogus/key", "").code(), StatusCode::kCorruption);
  EXPECT_EQ(restored.Restore("scope/all", "\xff\xff").code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace lifeboat::routing
