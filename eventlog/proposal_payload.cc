#include "eventlog/proposal_payload.h"

#include "eventlog/log_store.h"

namespace lifeboat::eventlog {

Result<std::string> EncodeProposal(events::Event event, std::string_view node_id, WallTime now) {
  event.set_timestamp_unix_micros(now.count());
  event.set_node_id(std::string(node_id));
  event.clear_index();
  event.clear_term();
  const size_t bytes = event.ByteSizeLong();
  if (bytes > kLogRecordPayloadBytesMax) {
    return Status::InvalidArgument("propose: event of " + std::to_string(bytes) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(kLogRecordPayloadBytesMax));
  }
  std::string payload;
  if (!event.SerializeToString(&payload)) {
    return Status::InvalidArgument("propose: the event could not be serialized");
  }
  return payload;
}

}  // namespace lifeboat::eventlog
