#pragma once
// The Proposer (eventlog/proposer.h) of a Raft cluster: an event is acknowledged once a quorum
// holds it and this node applied it (RaftNode::Propose). The commit index it publishes is the
// node's applied index: everything through it is committed (Raft applies only committed
// entries), and it follows commits on followers too.
//
// Only the leader accepts proposals for now: a follower answers Unavailable. Forwarding to the
// leader is issue #13 item 3.

#include <cstdint>
#include <string>
#include <vector>

#include "appliance/env/env.h"
#include "eventlog/proposer.h"
#include "eventlog/raft/raft_node.h"

namespace lifeboat::eventlog::raft {

class RaftProposer : public Proposer {
 public:
  // `env` and `node` must outlive the proposer, and the proposer must outlive the node's
  // listeners' calls (it registers one: destroy the node first, or never destroy this).
  RaftProposer(Env& env, RaftNode& node, std::string node_id);

  // Stamps timestamp_unix_micros (Env::WallNow) and node_id, clears index and term (Raft assigns
  // them), serializes and proposes. InvalidArgument when larger than kLogRecordPayloadBytesMax.
  void Propose(events::Event event, Done done) override;
  uint64_t commit_index() const override { return commit_index_; }
  void AddCommitListener(CommitListener listener) override;

 private:
  Env& env_;
  RaftNode& node_;
  const std::string node_id_;
  uint64_t commit_index_ = 0;
  std::vector<CommitListener> listeners_;
};

}  // namespace lifeboat::eventlog::raft
