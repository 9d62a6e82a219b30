#pragma once
// One line of progress for a long command (`lifeboat rebuild`, `lifeboat directory sync --now`),
// rewritten in place with '\r' on a terminal, at most kProgressRefreshesPerSecond times a second.
// Silent when the stream is not a terminal (a script or a log file gets only the final result).
//
// The clock is passed in (an Env's MonotonicNow in the CLI, a counter in tests): nothing here
// reads one (STYLE.md rule 2; tests/tidy/determinism_check.sh).

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "appliance/env/env.h"

namespace lifeboat::cli {

inline constexpr int64_t kProgressRefreshesPerSecond = 4;

class ProgressLine {
 public:
  // `out` must outlive this object. `enabled` false: every call does nothing.
  ProgressLine(std::FILE* out, bool enabled, std::function<MonoTime()> now);
  // Enabled iff `out` is a terminal (isatty); the clock is `env`'s MonotonicNow, and `env` must
  // outlive the line.
  static ProgressLine ForTerminal(std::FILE* out, Env& env);
  ~ProgressLine() { Clear(); }
  ProgressLine(ProgressLine&&) = default;

  // Rewrites the line with `text` (cut to kProgressLineColumnsMax) unless the previous rewrite was
  // less than 1/kProgressRefreshesPerSecond s ago.
  void Update(const std::string& text);
  // Erases the line, so what is printed next starts on a clean one. Idempotent.
  void Clear();
  // Time since construction, by the clock passed in.
  Duration Elapsed() const { return now_() - started_; }
  bool enabled() const { return enabled_; }

 private:
  std::FILE* out_;
  bool enabled_;
  std::function<MonoTime()> now_;
  MonoTime started_;
  std::optional<MonoTime> last_update_;
  size_t shown_columns_ = 0;
};

// "1,234 of 5,678 events (21%), 850 events/s, about 5 s left": a replay's progress after
// `elapsed`. Rate and time left are omitted until they mean something (no time elapsed yet).
std::string ReplayProgressText(uint64_t done, uint64_t total, Duration elapsed);

// "12 s", "3 min 05 s", "1 h 02 min".
std::string HumanDuration(Duration duration);

}  // namespace lifeboat::cli
