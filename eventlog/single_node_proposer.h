#pragma once
// The proposer of a single-node deployment (DESIGN.md "Deployment shapes"): an event is durable
// once the group-commit batch holding it is fsynced. There is no election, so every record is
// written in term 1; the Raft proposer replaces this class behind the same Proposer interface.

#include <memory>
#include <string>
#include <vector>

#include "appliance/env/env.h"
#include "eventlog/group_commit.h"
#include "eventlog/proposer.h"

namespace lifeboat::eventlog {

inline constexpr uint64_t kSingleNodeTerm = 1;

class SingleNodeProposer : public Proposer {
 public:
  // `env` and `writer` must outlive the proposer. The commit index starts at what the writer
  // found durable: on one node every durable record is committed.
  SingleNodeProposer(Env& env, GroupCommitWriter& writer, std::string node_id);

  // Stamps timestamp_unix_micros (Env::WallNow) and node_id, clears index and term (the log
  // assigns them), serializes and appends. InvalidArgument when the serialized event is larger
  // than kLogRecordPayloadBytesMax; other errors come from the writer.
  void Propose(events::Event event, Done done) override;

  // The writer's durable index: a single node has no other replica to wait for.
  uint64_t commit_index() const override { return *commit_index_; }
  void AddCommitListener(CommitListener listener) override;

 private:
  Env& env_;
  GroupCommitWriter& writer_;
  const std::string node_id_;
  // Shared with the writer's durable listener, which may outlive this proposer.
  std::shared_ptr<uint64_t> commit_index_;
  std::shared_ptr<std::vector<CommitListener>> listeners_;
};

}  // namespace lifeboat::eventlog
