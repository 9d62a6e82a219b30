#include "appliance/log_mail_bodies.h"

#include <string>

#include "eventlog/events.pb.h"

namespace lifeboat {

Result<std::string> LogMailBodies::MailRaw(uint64_t event_index) const {
  std::string raw;
  Result<uint64_t> visited = log_.Visit(
      event_index, event_index,
      [&](const eventlog::LogRecordView& record) -> Result<eventlog::VisitNext> {
        events::Event event;
        Result<std::optional<std::string_view>> bytes =
            eventlog::EventBytes(record.payload, format_);
        if (!bytes.ok()) return bytes.status();
        if (!bytes->has_value() ||
            !event.ParseFromArray((*bytes)->data(), static_cast<int>((*bytes)->size()))) {
          return Status::Corruption("log event " + std::to_string(record.index) +
                                    " does not parse");
        }
        if (!event.has_mail_received()) {
          return Status::Corruption("log event " + std::to_string(record.index) +
                                    " is not a received mail");
        }
        raw = std::move(*event.mutable_mail_received()->mutable_raw());
        return eventlog::VisitNext::kStop;
      });
  if (!visited.ok()) return visited.status();
  return raw;
}

}  // namespace lifeboat
