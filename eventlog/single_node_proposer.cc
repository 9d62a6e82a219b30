#include "eventlog/single_node_proposer.h"

#include <utility>

#include "eventlog/proposal_payload.h"

namespace lifeboat::eventlog {

SingleNodeProposer::SingleNodeProposer(Env& env, GroupCommitWriter& writer, std::string node_id)
    : env_(env),
      writer_(writer),
      node_id_(std::move(node_id)),
      commit_index_(std::make_shared<uint64_t>(writer.durable_last_index())),
      listeners_(std::make_shared<std::vector<CommitListener>>()) {
  writer_.AddDurableListener(
      [commit_index = commit_index_, listeners = listeners_](uint64_t durable) {
        // Only Append reaches this writer here (AppendAt is Raft's): the durable index only grows.
        LB_CHECK(durable > *commit_index);
        *commit_index = durable;
        for (const CommitListener& listener : *listeners) listener(durable);
      });
}

void SingleNodeProposer::AddCommitListener(CommitListener listener) {
  LB_CHECK(listener != nullptr);
  listeners_->push_back(std::move(listener));
}

void SingleNodeProposer::Propose(events::Event event, Done done) {
  LB_CHECK(done != nullptr);
  Result<std::string> payload = EncodeProposal(std::move(event), node_id_, env_.WallNow());
  if (!payload.ok()) {
    env_.Post([done = std::move(done), error = payload.status()] { done(error); });
    return;
  }
  writer_.Append(kSingleNodeTerm, std::move(*payload), std::move(done));
}

}  // namespace lifeboat::eventlog
