#pragma once
// The proposer of a single-node deployment (DESIGN.md "Deployment shapes"): an event is durable
// once the group-commit batch holding it is fsynced. There is no election, so every record is
// written in term 1; the Raft proposer replaces this class behind the same Proposer interface.

#include <string>

#include "appliance/env/env.h"
#include "eventlog/group_commit.h"
#include "eventlog/proposer.h"

namespace lifeboat::eventlog {

inline constexpr uint64_t kSingleNodeTerm = 1;

class SingleNodeProposer : public Proposer {
 public:
  // `env` and `writer` must outlive the proposer.
  SingleNodeProposer(Env& env, GroupCommitWriter& writer, std::string node_id);

  // Stamps timestamp_unix_micros (Env::WallNow) and node_id, clears index and term (the log
  // assigns them), serializes and appends. InvalidArgument when the serialized event is larger
  // than kLogRecordPayloadBytesMax; other errors come from the writer.
  void Propose(events::Event event, Done done) override;

 private:
  Env& env_;
  GroupCommitWriter& writer_;
  const std::string node_id_;
};

}  // namespace lifeboat::eventlog
