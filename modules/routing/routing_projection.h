#pragma once
// The "routing" projection (issue #11 Build 2; DESIGN.md "Modes and routing"): folds
// RoutingChanged, DirectoryEntryUpserted and DirectoryEntryRemoved into the state LevelDB and
// keeps a RoutingTable in memory current. It folds the directory events itself (only ids,
// addresses and group memberships) so that it stays a pure function of the log and never reads
// another projection.
//
// Keys under p/routing/:
//   scope/<scope>   serialized events::RoutingChanged: the last change that gave the scope its own
//                   mode ("all" always once changed; others only while forced)
//   member/<id>     serialized events::DirectoryEntry with id, addresses and member_of_ids only
//
// The view changes only when the batch holding the Applies commits (eventlog/projection.h):
// Apply writes the state and stages the change, OnBatchCommitted shows it.
//
// Open: when the node starts on an existing state, the caller feeds every key/value under
// p/routing/ to Restore() (relative keys), then applies events after the state's applied index.

#include <string>
#include <string_view>
#include <vector>

#include "eventlog/projection.h"
#include "modules/routing/routing_table.h"

namespace lifeboat::routing {

class RoutingProjection : public eventlog::Projection {
 public:
  // `table` must outlive the projection; the projection is its only writer.
  explicit RoutingProjection(RoutingTable& table) : table_(table) {}

  std::string_view name() const override { return "routing"; }
  // Corruption for a RoutingChanged with a malformed scope or no mode, or an entry without id.
  Status Apply(const events::Event& event, eventlog::ProjectionState& state) override;
  void OnBatchCommitted() override;
  void OnBatchDiscarded() override;

  // Refills the table from one stored key. Corruption when the value does not parse.
  Status Restore(std::string_view key, std::string_view value);
  // Forgets everything in memory (before a rebuild from the log).
  void Clear();

 private:
  Status ApplyRoutingChanged(const events::RoutingChanged& change,
                             eventlog::ProjectionState& state);

  struct StagedChange {
    enum class Kind { kSetScope, kClearScope, kUpsertMember, kRemoveMember } kind;
    std::string key;  // scope or entry id
    ScopeMode mode;
    Member member;
  };

  RoutingTable& table_;
  std::vector<StagedChange> staged_;  // the runner's thread only
};

}  // namespace lifeboat::routing
