#include "eventlog/raft/raft_proposer.h"

#include <utility>

#include "eventlog/log_store.h"

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
  event.set_timestamp_unix_micros(env_.WallNow().count());
  event.set_node_id(node_id_);
  event.clear_index();
  event.clear_term();
  const size_t bytes = event.ByteSizeLong();
  if (bytes > kLogRecordPayloadBytesMax) {
    env_.Post([done = std::move(done), bytes] {
      done(Status::InvalidArgument("propose: event of " + std::to_string(bytes) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(kLogRecordPayloadBytesMax)));
    });
    return;
  }
  std::string payload;
  if (!event.SerializeToString(&payload)) {
    env_.Post([done = std::move(done)] {
      done(Status::InvalidArgument("propose: the event could not be serialized"));
    });
    return;
  }
  node_.Propose(std::move(payload), std::move(done));
}

}  // namespace lifeboat::eventlog::raft
