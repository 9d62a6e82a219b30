#include "modules/mailbox/retention.h"

#include <algorithm>
#include <map>
#include <string>

namespace lifeboat::mailbox {
namespace {
constexpr int64_t kMicrosPerDay = int64_t{86'400} * 1'000'000;
}  // namespace

Result<std::vector<events::MessagesPurged>> PlanRetentionPurge(
    int64_t now_unix_micros, uint32_t retention_days, std::span<const MessageEntry> listing,
    size_t batch_messages_max) {
  if (retention_days == 0 || retention_days > kRetentionDaysMax) {
    return Status::InvalidArgument("retention days must be in [1, " +
                                   std::to_string(kRetentionDaysMax) + "], got " +
                                   std::to_string(retention_days));
  }
  const int64_t cutoff = now_unix_micros - int64_t{retention_days} * kMicrosPerDay;
  const size_t budget = std::min(batch_messages_max, kRetentionBatchMessagesMax);
  const std::string reason = "retention: older than " + std::to_string(retention_days) + " days";
  std::vector<events::MessagesPurged> purges;
  std::map<std::string, size_t> event_of_mailbox;
  size_t planned = 0;
  for (const MessageEntry& entry : listing) {
    if (planned == budget) break;
    if (entry.received_unix_micros() >= cutoff) continue;
    auto [slot, inserted] = event_of_mailbox.try_emplace(entry.mailbox_id(), purges.size());
    if (inserted) {
      events::MessagesPurged& purge = purges.emplace_back();
      purge.set_mailbox_id(entry.mailbox_id());
      purge.set_reason(reason);
    }
    purges[slot->second].add_message_ids(entry.message_id());
    ++planned;
  }
  return purges;
}

}  // namespace lifeboat::mailbox
