// [eventlog]: group-commit tuning. A batch is one synced LevelDB write: bigger batches amortize
// the fsync, but hold more callers waiting for it.
#include "appliance/config/sections.h"

namespace lifeboat::config {

Status ParseEventlogSection(ConfigSection& section, Config& config) {
  const std::string expected = "an integer in [" + std::to_string(kGroupCommitBatchBytesMin) +
                               ", " + std::to_string(kGroupCommitBatchBytesLimit) + "] (bytes)";
  auto bytes = section.TakeInteger("group_commit_batch_bytes_max", expected);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return Status::Ok();
  if (**bytes < kGroupCommitBatchBytesMin || **bytes > kGroupCommitBatchBytesLimit) {
    return section.Invalid("group_commit_batch_bytes_max", expected);
  }
  config.eventlog.group_commit_batch_bytes_max = **bytes;
  return Status::Ok();
}

}  // namespace lifeboat::config
