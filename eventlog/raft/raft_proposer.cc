#include "eventlog/raft/raft_proposer.h"

#include <utility>

#include "eventlog/proposal_payload.h"

namespace lifeboat::eventlog::raft {

RaftProposer::RaftProposer(Env& env, RaftNode& node, std::string node_id)
    : env_(env), node_(node), node_id_(std::move(node_id)), commit_index_(node.last_applied()) {
  node_.AddAppliedListener([this](uint64_t applied) {
    // A restored snapshot can only move it forward; it never goes back (proposer.h).
    if (applied <= commit_index_) return;
    commit_index_ = applied;
    for (const CommitListener& listener : listeners_) listener(applied);
  });
}

void RaftProposer::AddCommitListener(CommitListener listener) {
  LB_CHECK(listener != nullptr);
  listeners_.push_back(std::move(listener));
}

void RaftProposer::Propose(events::Event event, Done done) {
  LB_CHECK(done != nullptr);
  Result<std::string> payload = EncodeProposal(std::move(event), node_id_, env_.WallNow());
  if (!payload.ok()) {
    env_.Post([done = std::move(done), error = payload.status()] { done(error); });
    return;
  }
  node_.Propose(std::move(*payload), std::move(done));
}

}  // namespace lifeboat::eventlog::raft
