#include "appliance/log/logger.h"

#include <time.h>

#include <cstdio>

#include "appliance/env/check.h"
#include "appliance/json/json_writer.h"

namespace lifeboat {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  LB_CHECK(false);
}

std::string FormatRfc3339Utc(WallTime time) {
  int64_t micros = time.count();
  time_t seconds = static_cast<time_t>(micros / 1'000'000);
  int64_t fraction = micros % 1'000'000;
  if (fraction < 0) {
    fraction += 1'000'000;
    seconds -= 1;
  }
  tm parts{};
  gmtime_r(&seconds, &parts);
  char buffer[96];  // wide enough for any int fields: -Wformat-truncation
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min,
                parts.tm_sec, static_cast<long long>(fraction));
  return buffer;
}

Logger::Logger(Env& env, LogLevel min_level, Sink sink)
    : env_(env), min_level_(min_level), sink_(std::move(sink)) {
  if (!sink_) {
    sink_ = [](std::string_view line) {
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fflush(stderr);
    };
  }
}

std::string Logger::Format(LogLevel level, std::string_view component, std::string_view msg,
                           std::initializer_list<LogField> fields) {
  json::ObjectWriter writer;
  writer.String("ts", FormatRfc3339Utc(env_.WallNow()))
      .String("level", LogLevelName(level))
      .String("component", component)
      .String("msg", msg);
  for (const auto& [key, value] : fields) {
    if (auto* text = std::get_if<std::string_view>(&value)) {
      writer.String(key, *text);
    } else if (auto* signed_value = std::get_if<int64_t>(&value)) {
      writer.Int(key, *signed_value);
    } else if (auto* unsigned_value = std::get_if<uint64_t>(&value)) {
      writer.Uint(key, *unsigned_value);
    } else {
      writer.Bool(key, std::get<bool>(value));
    }
  }
  std::string line = writer.Finish();
  line.push_back('\n');
  return line;
}

void Logger::Log(LogLevel level, std::string_view component, std::string_view msg,
                 std::initializer_list<LogField> fields) {
  if (level < min_level_) return;
  std::string line = Format(level, component, msg, fields);
  std::lock_guard<std::mutex> lock(mutex_);
  sink_(line);
}

}  // namespace lifeboat
