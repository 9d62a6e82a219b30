#pragma once
// Structured logs: one JSON object per line on stderr (journald and any collector read them
// without a parser of ours). Keys: ts (RFC 3339 UTC, microseconds, from Env::WallNow), level,
// component, msg, then the call's fields in order. Example:
//   {"ts":"2026-11-28T19:20:00.123456Z","level":"info","component":"node","msg":"started",
//    "node_id":"n1"}
//
// Threading: Log() is thread-safe (one write per line under a mutex, so lines never interleave).

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "appliance/env/env.h"

namespace lifeboat {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

std::string_view LogLevelName(LogLevel level);

// One field value: text, a signed or unsigned integer, or a flag.
using LogValue = std::variant<std::string_view, int64_t, uint64_t, bool>;
using LogField = std::pair<std::string_view, LogValue>;

// "2026-11-28T19:20:00.123456Z"
std::string FormatRfc3339Utc(WallTime time);

class Logger {
 public:
  // Receives each complete line, newline included. Default: fwrite to stderr.
  using Sink = std::function<void(std::string_view line)>;

  // `env` must outlive the logger.
  Logger(Env& env, LogLevel min_level, Sink sink = nullptr);

  void Log(LogLevel level, std::string_view component, std::string_view msg,
           std::initializer_list<LogField> fields = {});
  void Debug(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kDebug, c, m, f);
  }
  void Info(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kInfo, c, m, f);
  }
  void Warn(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kWarn, c, m, f);
  }
  void Error(std::string_view c, std::string_view m, std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kError, c, m, f);
  }

  // Renders one line without writing it (tests, and Log itself).
  std::string Format(LogLevel level, std::string_view component, std::string_view msg,
                     std::initializer_list<LogField> fields);

 private:
  Env& env_;
  LogLevel min_level_;
  Sink sink_;
  std::mutex mutex_;
};

}  // namespace lifeboat
