// The drill report's timeline (SimulationReport::ToSvg): one SVG an operator can open in any
// browser or paste into a post-mortem. Plain SVG 1.1: no script, no external font or style.
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

#include "simulator/simulation.h"

namespace lifeboat::simulator {
namespace {

constexpr int kWidth = 960;
constexpr int kLeft = 170;  // row labels
constexpr int kRight = 20;
constexpr int kRowHeight = 26;
constexpr int kBarsHeight = 120;
constexpr const char* kFont = "font-family=\"sans-serif\"";

std::string Escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Format(const char* format, auto... values) {
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer), format, values...);
  return buffer;
}

const char* ModeColor(std::string_view mode) {
  if (mode == "continuity") return "#e8890c";
  if (mode == "failback") return "#8e44ad";
  return "#2d7dd2";
}

class Chart {
 public:
  explicit Chart(double end_seconds) : end_(std::max(end_seconds, 1.0)) {}

  double X(double seconds) const {
    return kLeft + (kWidth - kLeft - kRight) * std::clamp(seconds, 0.0, end_) / end_;
  }
  void Rect(double from, double to, int y, int height, const char* color, std::string_view title) {
    const double x0 = X(from);
    const double width = std::max(X(to) - x0, 1.0);
    body_ += Format("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">", x0, y,
                    width, height, color);
    body_ += "<title>" + Escaped(title) + "</title></rect>\n";
  }
  void Text(double x, int y, std::string_view text, const char* extra = "font-size=\"12\"") {
    body_ += Format("<text x=\"%.1f\" y=\"%d\" %s %s>", x, y, kFont, extra) + Escaped(text) +
             "</text>\n";
  }
  void Line(double x0, int y0, double x1, int y1, const char* color) {
    body_ += Format("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>\n", x0, y0,
                    x1, y1, color);
  }
  // A row of spans over a background: `spans` drawn in `color` on `background`.
  void SpanRow(int y, std::string_view label, const std::vector<Span>& spans,
               const char* background, const char* color, std::string_view span_name) {
    Text(10, y + 17, label);
    Rect(0, end_, y, kRowHeight - 6, background, "");
    for (const Span& span : spans) {
      const double to = span.to_seconds < 0 ? end_ : span.to_seconds;
      Rect(span.from_seconds, to, y, kRowHeight - 6, color,
           Format("%s %.1f s - %.1f s", std::string(span_name).c_str(), span.from_seconds, to));
    }
  }
  void Axis(int y) {
    const double step = end_ <= 900 ? 60 : end_ <= 3600 ? 300 : 900;
    Line(X(0), y, X(end_), y, "#444");
    for (double t = 0; t <= end_ + 0.001; t += step) {
      Line(X(t), y, X(t), y + 5, "#444");
      Text(X(t) - 8, y + 18, Format("%.0f", t / 60) + "m");
    }
  }
  const std::string& body() const { return body_; }

 private:
  const double end_;
  std::string body_;
};

}  // namespace

std::string SimulationReport::ToSvg() const {
  Chart chart(virtual_seconds);
  int y = 20;
  chart.Text(10, y,
             "Lifeboat drill: " + (scenario.empty() ? std::string("random faults") : scenario) +
                 ", seed " + std::to_string(seed) + (ok() ? "" : " (FAILED)"),
             "font-size=\"16\" font-weight=\"bold\"");
  y += 14;
  chart.Text(10, y + 8,
             Format("%llu mails acknowledged, %llu kept, %llu lost; %llu failovers, %llu "
                    "failbacks",
                    static_cast<unsigned long long>(mails_acked),
                    static_cast<unsigned long long>(mails_kept),
                    static_cast<unsigned long long>(mails_lost),
                    static_cast<unsigned long long>(failovers),
                    static_cast<unsigned long long>(failbacks)) +
                 (first_detection_seconds >= 0
                      ? Format("; outage detected in %.1f s", first_detection_seconds)
                      : std::string()));
  y += 24;
  if (primary) {
    chart.SpanRow(y, "Primary mail system", primary_down, "#3c9d5d", "#c0392b", "down");
    y += kRowHeight;
  }
  chart.SpanRow(y, "Lifeboat node", node_down, "#3c9d5d", "#7f8c8d", "down");
  y += kRowHeight;
  if (primary) {
    chart.Text(10, y + 17, "Routing mode");
    std::string mode = "normal";
    double from = 0;
    for (const RoutingStep& step : routing) {
      chart.Rect(from, step.at_seconds, y, kRowHeight - 6, ModeColor(mode), mode);
      mode = step.mode;
      from = step.at_seconds;
    }
    chart.Rect(from, virtual_seconds, y, kRowHeight - 6, ModeColor(mode), mode);
    y += kRowHeight;
  }
  // 250s per minute, as bars from a common baseline.
  uint64_t most = 1;
  for (uint64_t acked : acked_per_minute) most = std::max(most, acked);
  chart.Text(10, y + 17, "Mail accepted (250s");
  chart.Text(10, y + 31, Format("per minute, max %llu)", static_cast<unsigned long long>(most)));
  const int base = y + kBarsHeight;
  for (size_t minute = 0; minute < acked_per_minute.size(); ++minute) {
    const int height = static_cast<int>(kBarsHeight * acked_per_minute[minute] / most);
    chart.Rect(60.0 * minute + 2, 60.0 * (minute + 1) - 2, base - height, std::max(height, 1),
               "#34495e",
               Format("minute %zu: %llu", minute,
                      static_cast<unsigned long long>(acked_per_minute[minute])));
  }
  y = base + 4;
  chart.Axis(y);
  y += 34;
  // Legend.
  const std::pair<const char*, const char*> legend[] = {
      {"#3c9d5d", "up"},     {"#c0392b", "primary down"}, {"#7f8c8d", "node down"},
      {"#2d7dd2", "normal"}, {"#e8890c", "continuity"},   {"#8e44ad", "failback"}};
  double x = kLeft;
  std::string legend_svg;
  for (const auto& [color, name] : legend) {
    legend_svg += Format("<rect x=\"%.0f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>", x,
                         y - 10, color);
    legend_svg +=
        Format("<text x=\"%.0f\" y=\"%d\" %s font-size=\"12\">%s</text>\n", x + 16, y, kFont, name);
    x += 16 + 8.0 * std::string_view(name).size() + 20;
  }
  y += 16;
  return Format(
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "
             "xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
             "height=\"%d\" viewBox=\"0 0 %d %d\">\n<rect width=\"100%%\" height=\"100%%\" "
             "fill=\"white\"/>\n",
             kWidth, y, kWidth, y) +
         chart.body() + legend_svg + "</svg>\n";
}

}  // namespace lifeboat::simulator
