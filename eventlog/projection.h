#pragma once
// Projections fold committed events into the state that modules read (DESIGN.md "The shape":
// mailboxes, directory, routing table, queue, credentials). They are pure functions of the log:
// a projection reads time only from the event, never from a clock, so `rebuild` reproduces the
// state byte for byte (checked by ProjectionRunner::StateHash).
//
// Each projection owns the keys under "p/<name>/" in the `state` LevelDB. The runner applies
// events in index order and commits a batch of changes together with every projection's applied
// index in one atomic LevelDB write, so after a crash state and applied index always agree.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "appliance/env/status.h"
#include "eventlog/events.pb.h"

namespace lifeboat::eventlog {

// The writable view a projection gets while applying. Reads see this transaction's own writes.
// Keys are relative to the projection's prefix: Put("user/alice", v) writes "p/<name>/user/alice".
class ProjectionState {
 public:
  virtual ~ProjectionState() = default;
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
};

class Projection {
 public:
  virtual ~Projection() = default;
  // Stable short name, the key prefix: "mailbox", "directory", "routing". Never renamed.
  virtual std::string_view name() const = 0;
  // Applies one committed event. `event` (index and term filled in) is valid only during the call:
  // the runner reuses it for the next record. Events of payload types this projection does not
  // handle, and unknown types (payload_case() == PAYLOAD_NOT_SET), are ignored by returning OK.
  // An error stops the runner (state stays at the last committed batch) and is reported: it means
  // the log holds something this version cannot fold, not something to skip.
  virtual Status Apply(const events::Event& event, ProjectionState& state) = 0;

  // A projection that also keeps an in-memory view (the directory's, for RCPT checks) stages
  // what Apply would change there and shows it only once the state write holding those Applies
  // succeeded: a batch that fails to commit is applied again from the log later, so a view
  // changed early would run ahead of the stored state (and, under Raft, of what is committed).
  // The runner calls exactly one of these after every batch it started: Committed after the
  // state write succeeded (before the new applied index is published, so a reader that sees the
  // index sees the view too), Discarded when an Apply or the write failed. Default: no view.
  virtual void OnBatchCommitted() {}
  virtual void OnBatchDiscarded() {}
};

}  // namespace lifeboat::eventlog
