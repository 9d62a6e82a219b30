// The routing projection under the real ProjectionRunner and `state` LevelDB: the state built
// incrementally, in ragged commit steps and tiny batches, has the StateHash a Rebuild from the
// log reproduces; a node reopening the state and calling Restore routes like the live table.
#include <gtest/gtest.h>

#include "eventlog/log_store.h"
#include "eventlog/projection_runner.h"
#include "modules/routing/routing_projection.h"
#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::routing {
namespace {

using eventlog::store_testing::TempDir;

events::Event Routing(std::string scope, events::RoutingMode mode, bool automatic = false) {
  events::Event event;
  event.set_timestamp_unix_micros(1'796'601'600'000'000);
  event.mutable_routing_changed()->set_scope(std::move(scope));
  event.mutable_routing_changed()->set_mode(mode);
  event.mutable_routing_changed()->set_automatic(automatic);
  event.mutable_routing_changed()->set_forced_by_operator(
      event.routing_changed().scope() != "all" && !automatic);
  return event;
}

events::Event Entry(std::string id, std::string address, std::vector<std::string> groups) {
  events::Event event;
  events::DirectoryEntry* entry = event.mutable_directory_entry_upserted()->mutable_entry();
  entry->set_id(std::move(id));
  entry->add_addresses(std::move(address));
  for (std::string& group : groups) entry->add_member_of_ids(std::move(group));
  return event;
}

// A log of 300 events: users joining and leaving a pilot group, the pilot group forced to
// continuity and back, the domain forced, "all" switching with health.
std::vector<events::Event> History() {
  std::vector<events::Event> history;
  history.push_back(Entry("g-pilots", "pilots@corp.test", {}));
  for (int i = 0; i < 299; ++i) {
    std::string user = "u" + std::to_string(i % 40);
    switch (i % 7) {
      case 0:
      case 1:
        history.push_back(Entry(user, user + "@corp.test", {"g-pilots"}));
        break;
      case 2:
        history.push_back(Entry(user, user + "@corp.test", {}));
        break;
      case 3:
        history.push_back(Routing("group:g-pilots", events::ROUTING_MODE_CONTINUITY,
                                  /*automatic=*/i % 2 == 0));
        break;
      case 4:
        history.push_back(Routing(
            "all", i % 3 == 0 ? events::ROUTING_MODE_CONTINUITY : events::ROUTING_MODE_NORMAL));
        break;
      case 5: {
        events::Event removed;
        removed.mutable_directory_entry_removed()->set_id(user);
        history.push_back(removed);
        break;
      }
      default:
        history.push_back(Routing("domain:corp.test", events::ROUTING_MODE_FAILBACK, i % 4 == 0));
        break;
    }
  }
  return history;
}

TEST(RoutingRunnerTest, RebuildReproducesTheIncrementalStateHashAndRestoreTheDecisions) {
  TempDir dir;
  eventlog::LogStoreOptions log_options;
  log_options.path = dir.path() + "/log";
  Result<std::unique_ptr<eventlog::LogStore>> log = eventlog::LogStore::Open(log_options);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  std::vector<eventlog::LogRecord> records;
  for (const events::Event& event : History()) {
    records.push_back({records.size() + 1, 1, event.SerializeAsString()});
  }
  ASSERT_TRUE((*log)->Append(records).ok());

  eventlog::ProjectionRunnerOptions options;
  options.path = dir.path() + "/state";
  options.read_ahead = false;
  options.batch_events_max = 7;
  RoutingTable live_table;
  RoutingProjection live{live_table};
  std::string incremental;
  {
    Result<std::unique_ptr<eventlog::ProjectionRunner>> runner =
        eventlog::ProjectionRunner::Open(options, {&live});
    ASSERT_TRUE(runner.ok()) << runner.status().ToString();
    for (uint64_t commit : {1, 2, 50, 51, 199, 250, 300}) {
      ASSERT_TRUE((*runner)->ApplyThrough(**log, commit).ok());
    }
    Result<std::string> hash = (*runner)->StateHash();
    ASSERT_TRUE(hash.ok());
    incremental = *hash;
  }

  eventlog::ProjectionRunnerOptions rebuild_options = options;
  rebuild_options.path = dir.path() + "/rebuilt";
  rebuild_options.batch_events_max = eventlog::kProjectionBatchEventsMax;
  RoutingTable rebuilt_table;
  RoutingProjection rebuilt{rebuilt_table};
  Result<std::string> rebuilt_hash = eventlog::Rebuild(**log, rebuild_options, {&rebuilt});
  ASSERT_TRUE(rebuilt_hash.ok()) << rebuilt_hash.status().ToString();
  EXPECT_EQ(*rebuilt_hash, incremental);

  // Reopen the incremental state and refill a table from it, as a restarting node does.
  RoutingTable restored_table;
  RoutingProjection restored{restored_table};
  Result<std::unique_ptr<eventlog::ProjectionRunner>> reopened =
      eventlog::ProjectionRunner::Open(options, {&restored});
  ASSERT_TRUE(reopened.ok());
  Result<eventlog::StateReader::KeyValues> keys = (*reopened)->Scan("routing", "", "", 100'000);
  ASSERT_TRUE(keys.ok());
  EXPECT_FALSE(keys->empty());
  for (const auto& [key, value] : *keys) ASSERT_TRUE(restored.Restore(key, value).ok()) << key;

  EXPECT_EQ(live_table.ScopeModes(), rebuilt_table.ScopeModes());
  EXPECT_EQ(live_table.ScopeModes(), restored_table.ScopeModes());
  int continuity = 0;
  for (int i = 0; i < 40; ++i) {
    std::string address = "u" + std::to_string(i) + "@corp.test";
    RecipientRoute route = live_table.RouteFor(address);
    continuity += route.mode == events::ROUTING_MODE_CONTINUITY;
    for (const RoutingTable* table : {&rebuilt_table, &restored_table}) {
      EXPECT_EQ(table->RouteFor(address).scope, route.scope) << address;
      EXPECT_EQ(table->RouteFor(address).mode, route.mode) << address;
    }
  }
  EXPECT_GT(continuity, 0);  // the history leaves some users in a kept scope
}

}  // namespace
}  // namespace lifeboat::routing
