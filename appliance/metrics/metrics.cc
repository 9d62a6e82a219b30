#include "appliance/metrics/metrics.h"

#include <cmath>
#include <cstdio>

#include "appliance/env/check.h"

namespace lifeboat::metrics {

namespace {

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

// Exposition format: label values escape backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

// HELP text escapes backslash and newline.
std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

void AtomicAdd(std::atomic<double>& target, double by) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + by, std::memory_order_relaxed)) {
  }
}

}  // namespace

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  }
  return buffer;
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 1; i < upper_bounds_.size(); ++i) {
    LB_CHECK(upper_bounds_[i - 1] < upper_bounds_[i]);
  }
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t bucket = 0;
  while (bucket < upper_bounds_.size() && value > upper_bounds_[bucket]) ++bucket;
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

void Histogram::Load(std::span<const uint64_t> bucket_counts, double sum) {
  LB_CHECK(bucket_counts.size() == upper_bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i < bucket_counts.size(); ++i) {
    counts_[i].store(bucket_counts[i], std::memory_order_relaxed);
    total += bucket_counts[i];
  }
  count_.store(total, std::memory_order_relaxed);
  sum_.store(sum, std::memory_order_relaxed);
}

Registry::Entry& Registry::Add(std::string name, std::string help, Kind kind) {
  LB_CHECK(IsValidMetricName(name));
  for (const auto& entry : entries_) LB_CHECK(entry->name != name);
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->kind = kind;
  entries_.push_back(std::move(entry));
  return *entries_.back();
}

Counter& Registry::AddCounter(std::string name, std::string help) {
  Entry& entry = Add(std::move(name), std::move(help), Kind::kCounter);
  entry.counter = std::make_unique<Counter>();
  return *entry.counter;
}

Gauge& Registry::AddGauge(std::string name, std::string help) {
  Entry& entry = Add(std::move(name), std::move(help), Kind::kGauge);
  entry.gauge = std::make_unique<Gauge>();
  return *entry.gauge;
}

Histogram& Registry::AddHistogram(std::string name, std::string help,
                                  std::vector<double> upper_bounds) {
  Entry& entry = Add(std::move(name), std::move(help), Kind::kHistogram);
  entry.histogram = std::make_unique<Histogram>(std::move(upper_bounds));
  return *entry.histogram;
}

void Registry::AddInfo(std::string name, std::string help,
                       std::vector<std::pair<std::string, std::string>> labels) {
  Entry& entry = Add(std::move(name), std::move(help), Kind::kInfo);
  entry.labels = std::move(labels);
}

std::string Registry::Render() const {
  std::string out;
  for (const auto& entry : entries_) {
    const std::string& name = entry->name;
    out += "# HELP " + name + " " + EscapeHelp(entry->help) + "\n";
    switch (entry->kind) {
      case Kind::kCounter:
        out += "# TYPE " + name + " counter\n";
        out += name + " " + FormatSampleValue(static_cast<double>(entry->counter->value())) + "\n";
        break;
      case Kind::kGauge:
        out += "# TYPE " + name + " gauge\n";
        out += name + " " + FormatSampleValue(entry->gauge->value()) + "\n";
        break;
      case Kind::kInfo: {
        out += "# TYPE " + name + " gauge\n";
        out += name + "{";
        for (size_t i = 0; i < entry->labels.size(); ++i) {
          if (i > 0) out += ",";
          out += entry->labels[i].first + "=\"" + EscapeLabelValue(entry->labels[i].second) + "\"";
        }
        out += "} 1\n";
        break;
      }
      case Kind::kHistogram: {
        const Histogram& histogram = *entry->histogram;
        out += "# TYPE " + name + " histogram\n";
        uint64_t cumulative = 0;
        const auto& bounds = histogram.upper_bounds();
        for (size_t i = 0; i <= bounds.size(); ++i) {
          cumulative += histogram.bucket_count(i);
          std::string le = i < bounds.size() ? FormatSampleValue(bounds[i]) : "+Inf";
          out += name + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
        }
        out += name + "_sum " + FormatSampleValue(histogram.sum()) + "\n";
        out += name + "_count " + std::to_string(histogram.count()) + "\n";
        break;
      }
    }
  }
  return out;
}

}  // namespace lifeboat::metrics
