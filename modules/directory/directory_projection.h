#pragma once
// The "directory" projection (DESIGN.md "Directory"): folds DirectoryEntryUpserted / Removed and
// DirectorySyncCompleted into the state LevelDB and keeps a DirectoryView in memory current.
//
// Keys under p/directory/:
//   entry/<id>        serialized events::DirectoryEntry
//   addr/<address>    id of the entry receiving at that address (AddressKey: lower-case)
//   sync/<source>     serialized events::DirectorySyncCompleted of the source's last sync
//   synctime/<source> event timestamp (unix micros, decimal) of that sync
// Group membership lives in the entries (member_ids / member_of_ids).
//
// An address claimed by two entries (only possible across sources: the sync core resolves it
// within one) goes to the entry upserted last; removing or changing an entry frees only the
// index keys that still point at it.
//
// Open: the projection runner applies events; when the node starts on an existing state, the
// caller feeds every key/value under p/directory/ to Restore() (relative keys, as Put wrote
// them) to refill the view, then applies events after the state's applied index.

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/projection.h"
#include "modules/directory/directory_view.h"

namespace lifeboat::directory {

struct SourceSyncInfo {
  events::DirectorySyncCompleted last;  // cookie, counts, problems
  int64_t timestamp_unix_micros = 0;    // when it was committed
};

class DirectoryProjection : public eventlog::Projection {
 public:
  // `view` must outlive the projection; the projection is its only writer.
  explicit DirectoryProjection(DirectoryView& view) : view_(view) {}

  std::string_view name() const override { return "directory"; }
  // Writes the state and stages the view's change; the view shows it at OnBatchCommitted.
  Status Apply(const events::Event& event, eventlog::ProjectionState& state) override;
  void OnBatchCommitted() override;
  void OnBatchDiscarded() override;

  // Refills the view from one stored key (see the class comment). Corruption when the value
  // does not parse.
  Status Restore(std::string_view key, std::string_view value);
  // Forgets everything in memory (before a rebuild from the log).
  void Clear();

  // The last committed sync of `source` (the cookie to resume from after a restart).
  std::optional<SourceSyncInfo> LastSync(std::string_view source) const;
  // Whether any import or sync, from any source, has completed on this node.
  bool HasCompletedSync() const;

 private:
  Status ApplyUpserted(const events::DirectoryEntry& entry, eventlog::ProjectionState& state);
  Status ApplyRemoved(const std::string& id, eventlog::ProjectionState& state);

  // A view change waiting for its batch to commit (projection.h), in Apply order.
  struct StagedChange {
    enum class Kind { kUpsert, kRemove, kSyncCompleted } kind = Kind::kUpsert;
    events::DirectoryEntry entry;  // kUpsert
    std::string id;                // kRemove
    std::string source;            // kSyncCompleted
    SourceSyncInfo sync;           // kSyncCompleted
  };

  DirectoryView& view_;
  std::vector<StagedChange> staged_;  // the runner's thread only
  mutable std::shared_mutex sync_mutex_;
  std::map<std::string, SourceSyncInfo, std::less<>> syncs_;
};

}  // namespace lifeboat::directory
