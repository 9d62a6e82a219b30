#include "appliance/log_compaction.h"

#include <algorithm>
#include <optional>

#include "appliance/env/check.h"
#include "appliance/mailbox_read_state.h"
#include "modules/mailbox/mailbox_reader.h"

namespace lifeboat {

Result<uint64_t> LogCompactionLimit(const eventlog::StateReader& state, uint64_t applied_index) {
  StateMailboxReadState mailbox_state(state);
  mailbox::MailboxReader reader(mailbox_state, nullptr);
  Result<std::optional<uint64_t>> oldest_body = reader.OldestBodyLogIndex();
  if (!oldest_body.ok()) return oldest_body.status();
  if (!oldest_body->has_value()) return applied_index;
  LB_CHECK(**oldest_body >= 1);
  return std::min(applied_index, **oldest_body - 1);
}

Result<uint64_t> CompactLogPrefix(eventlog::LogStore& log, const eventlog::StateReader& state,
                                  uint64_t applied_index, uint64_t through_index) {
  Result<uint64_t> limit = LogCompactionLimit(state, applied_index);
  if (!limit.ok()) return limit.status();
  const uint64_t through = std::min({through_index, *limit, log.last_index()});
  if (through < log.first_index()) return log.first_index() - 1;
  LB_RETURN_IF_ERROR(log.CompactPrefix(through));
  return through;
}

}  // namespace lifeboat
