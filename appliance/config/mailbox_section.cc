// [mailbox]: how long history is kept. Purges are events (MessagesPurged), so the audit trail
// says what was dropped and when.
#include "appliance/config/sections.h"

namespace lifeboat::config {

Status ParseMailboxSection(ConfigSection& section, Config& config) {
  constexpr std::string_view kExpected = "an integer in 0..36500 (days; 0 keeps mail forever)";
  auto days = section.TakeInteger("retention_days", kExpected);
  if (!days.ok()) return days.status();
  if (days->has_value()) {
    if (**days < 0 || **days > kRetentionDaysLimit)
      return section.Invalid("retention_days", kExpected);
    config.mailbox.retention_days = **days;
  }
  return Status::Ok();
}

}  // namespace lifeboat::config
