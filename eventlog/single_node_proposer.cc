#include "eventlog/single_node_proposer.h"

#include <utility>

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
  writer_.Append(kSingleNodeTerm, std::move(payload), std::move(done));
}

}  // namespace lifeboat::eventlog
