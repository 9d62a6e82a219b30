// [log]: the structured log on stderr.
#include "appliance/config/sections.h"

namespace lifeboat::config {

Status ParseLogSection(ConfigSection& section, Config& config) {
  constexpr std::string_view kLevelExpected = "one of debug, info, warn, error";
  auto level = section.TakeString("level", kLevelExpected);
  if (!level.ok()) return level.status();
  if (!level->has_value()) return Status::Ok();
  for (LogLevel candidate :
       {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (**level == LogLevelName(candidate)) {
      config.log.level = candidate;
      return Status::Ok();
    }
  }
  return section.Invalid("level", kLevelExpected);
}

}  // namespace lifeboat::config
