#pragma once
// How a directory sync or import puts its events into the log: one rule for both.
//
// A sync produces entry changes followed by one DirectorySyncCompleted that counts them (and,
// for an incremental source, carries the cookie to resume from). The rule:
//  * every change is proposed at once: the proposer appends them in the order proposed, and a
//    full sync of 10,000 entries then costs a few group commits rather than 10,000 fsyncs;
//  * the completion is proposed only after every change is durable. A change can fail on its own
//    (a full queue refuses a large event and takes a smaller one behind it), and a completion
//    recorded over a gap would advance the cookie past a change that never reached the log.
//    Without it, the next sync starts from the last completion and proposes the change again.
//
// `done` runs on the loop thread once: Ok after the completion is durable, or the first error
// (the completion is then not proposed). The proposer must outlive the proposals it was given.

#include <functional>
#include <vector>

#include "appliance/env/status.h"
#include "eventlog/events.pb.h"
#include "eventlog/proposer.h"

namespace lifeboat::directory {

// `events` ends with its DirectorySyncCompleted (checked).
void ProposeSyncEvents(eventlog::Proposer& proposer, std::vector<events::Event> events,
                       std::function<void(Status)> done);

}  // namespace lifeboat::directory
