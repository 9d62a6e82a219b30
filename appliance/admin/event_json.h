#pragma once
// One log record as a JSON object for the admin API and `lifeboat log`: the event through
// protobuf's JSON mapping (proto field names kept, so keys match events.proto), with index and
// term filled from the record, and MailReceived.raw replaced by "raw_bytes": its length (a
// mail body has no place in an operator's terminal and may be 50 MiB).

#include <string>

#include "appliance/env/status.h"
#include "eventlog/log_store.h"

namespace lifeboat::admin {

// Corruption naming the index when the payload does not parse as events::Event.
Result<std::string> RecordToJson(const eventlog::LogRecord& record);

}  // namespace lifeboat::admin
