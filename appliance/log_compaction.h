#pragma once
// The one way to compact the event log: LogStore::CompactPrefix clamped to what the node may
// forget. Mail bodies live only in the log (modules/mailbox/mailbox_projection.h): a record is
// removable only when
//   1. every projection has folded it (index <= the runner's applied index), and
//   2. no stored message still reads its body from it (index < the oldest bodylog/ entry of the
//      mailbox projection, MailboxReader::OldestBodyLogIndex).
// Until snapshots come with replication nothing calls this on a schedule, and `lifeboat rebuild`
// refuses a compacted log (eventlog::Rebuild): compaction trades the ability to rebuild for disk.
//
// Run on the log's writer thread (log_store.h "Threading"); `state` is read as of its last
// committed batch, so a body referenced by a batch not yet committed is above applied_index
// and protected by rule 1.

#include <cstdint>

#include "appliance/env/status.h"
#include "eventlog/log_store.h"
#include "eventlog/projection_runner.h"

namespace lifeboat {

// The highest index CompactPrefix may remove now: min(applied_index, oldest body index - 1);
// 0 when nothing may go.
Result<uint64_t> LogCompactionLimit(const eventlog::StateReader& state, uint64_t applied_index);

// Compacts the log through min(through_index, LogCompactionLimit(...)) and returns the index
// it compacted through (unchanged first_index() - 1 when the limit allows nothing new).
Result<uint64_t> CompactLogPrefix(eventlog::LogStore& log, const eventlog::StateReader& state,
                                  uint64_t applied_index, uint64_t through_index);

}  // namespace lifeboat
