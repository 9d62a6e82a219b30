#pragma once
// What every Proposer does to an event before it enters the log (eventlog/proposer.h): stamp it
// with the proposing node and the wall clock, clear what only the log assigns (index, term), and
// serialize it within the log's record limit. The single-node proposer and the Raft proposer
// share it, so that an event reads the same whichever proposed it.

#include <string>
#include <string_view>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "eventlog/events.pb.h"

namespace lifeboat::eventlog {

// InvalidArgument when the event exceeds kLogRecordPayloadBytesMax (log_store.h) or does not
// serialize; the caller reports it through the proposal's callback, never at once.
Result<std::string> EncodeProposal(events::Event event, std::string_view node_id, WallTime now);

}  // namespace lifeboat::eventlog
