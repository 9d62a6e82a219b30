#include "appliance/cli/progress_line.h"

#include <unistd.h>

#include <algorithm>

namespace lifeboat::cli {
namespace {

// Wider lines would wrap on an 80-column terminal, and '\r' only returns within the last row.
constexpr size_t kProgressLineColumnsMax = 79;

// "1234567" -> "1,234,567".
std::string Grouped(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace

ProgressLine::ProgressLine(std::FILE* out, bool enabled, std::function<MonoTime()> now)
    : out_(out), enabled_(enabled), now_(std::move(now)), started_(now_()) {}

ProgressLine ProgressLine::ForTerminal(std::FILE* out, Env& env) {
  return ProgressLine(out, isatty(fileno(out)) == 1, [&env] { return env.MonotonicNow(); });
}

void ProgressLine::Update(const std::string& text) {
  if (!enabled_) return;
  const MonoTime now = now_();
  constexpr Duration kRefreshInterval =
      std::chrono::duration_cast<Duration>(std::chrono::seconds(1)) / kProgressRefreshesPerSecond;
  if (last_update_.has_value() && now - *last_update_ < kRefreshInterval) return;
  last_update_ = now;
  std::string line = text.substr(0, kProgressLineColumnsMax);
  // Spaces over what the previous, longer line left behind.
  const size_t columns = line.size();
  if (columns < shown_columns_) line.append(shown_columns_ - columns, ' ');
  std::fprintf(out_, "\r%s", line.c_str());
  std::fflush(out_);
  shown_columns_ = columns;
}

void ProgressLine::Clear() {
  if (!enabled_ || shown_columns_ == 0) return;
  std::fprintf(out_, "\r%s\r", std::string(shown_columns_, ' ').c_str());
  std::fflush(out_);
  shown_columns_ = 0;
}

std::string ReplayProgressText(uint64_t done, uint64_t total, Duration elapsed) {
  std::string text = Grouped(done) + " of " + Grouped(total) + " events";
  if (total != 0)
    text += " (" + std::to_string(std::min<uint64_t>(done, total) * 100 / total) + "%)";
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  if (micros <= 0 || done == 0) return text;
  const double per_second = static_cast<double>(done) * 1e6 / static_cast<double>(micros);
  text += ", " + Grouped(static_cast<uint64_t>(per_second)) + " events/s";
  if (done < total) {
    const double left_seconds = static_cast<double>(total - done) / per_second;
    text += ", about " +
            HumanDuration(
                std::chrono::duration_cast<Duration>(std::chrono::duration<double>(left_seconds))) +
            " left";
  }
  return text;
}

std::string HumanDuration(Duration duration) {
  const int64_t seconds =
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(duration).count());
  char text[32];
  if (seconds < 60) {
    std::snprintf(text, sizeof(text), "%lld s", static_cast<long long>(seconds));
  } else if (seconds < 3600) {
    std::snprintf(text, sizeof(text), "%lld min %02lld s", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  } else {
    std::snprintf(text, sizeof(text), "%lld h %02lld min", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60));
  }
  return text;
}

}  // namespace lifeboat::cli
