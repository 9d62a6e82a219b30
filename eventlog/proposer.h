#pragma once
// How modules put facts into the log. Modules never write the log directly: they propose an
// event and are called back once it is durable (single node: fsynced; cluster: committed by a
// Raft quorum), with its index, or with an error. Only after that callback may a module act on
// the fact externally (the SMTP session answers 250 there: RFC 5321 section 6.1).
//
// Implementations: SingleNodeProposer (group-commit writer, this file's neighbour) today; the
// replication issue adds a Raft proposer behind the same interface.

#include <cstdint>
#include <functional>

#include "appliance/env/status.h"
#include "eventlog/events.pb.h"

namespace lifeboat::eventlog {

class Proposer {
 public:
  // Called on the loop thread, exactly once, after durability or failure. Errors:
  // ResourceExhausted (queue full), IoError (storage failed; the node turns read-only),
  // Unavailable (read-only, not leader, shutting down), InvalidArgument (event too large).
  using Done = std::function<void(Result<uint64_t> index)>;

  // Runs on the loop thread after each advance of the commit index, after the callbacks of the
  // proposals it commits.
  using CommitListener = std::function<void(uint64_t commit_index)>;

  virtual ~Proposer() = default;
  // Loop thread only. The proposer sets event.timestamp_unix_micros and event.node_id; index and
  // term are assigned by the log.
  virtual void Propose(events::Event event, Done done) = 0;

  // Durable is not committed (DESIGN.md "Determinism"): under Raft a durable suffix can still be
  // replaced by a new leader's, and nothing that acted on it could be undone. So projections,
  // `status --wait-applied` and leader-only services follow the commit index, never the log's
  // last index. Every record through it is committed (single node: fsynced; Raft: on a quorum).
  // It never decreases. Loop thread.
  virtual uint64_t commit_index() const = 0;
  // Loop thread, before or while proposing.
  virtual void AddCommitListener(CommitListener listener) = 0;
};

}  // namespace lifeboat::eventlog
