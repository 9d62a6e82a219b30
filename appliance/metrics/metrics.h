#pragma once
// A small metrics registry rendered in the Prometheus text exposition format (version 0.0.4:
// "# HELP", "# TYPE", one sample per line; histograms as cumulative _bucket{le=...}, _sum,
// _count). Fixed buckets only: no allocation on the hot path, no unbounded label sets.
//
// Threading: Counter, Gauge and Histogram updates are lock-free and thread-safe (the storage
// thread observes fsync latency). Registration happens at startup on one thread; Render() may run
// concurrently with updates.

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lifeboat::metrics {

class Counter {
 public:
  void Increment(uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  // For a counter mirrored from another component's cumulative figures (GroupCommitStats): the
  // source only grows, so the mirror does too.
  void Set(uint64_t value) { value_.store(value, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `upper_bounds` strictly increasing; a final +Inf bucket is implicit.
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  // For a histogram mirrored from another component's bucket counts (same bounds): replaces the
  // counts (non-cumulative, upper_bounds().size() + 1 of them, the last is +Inf) and the sum.
  void Load(std::span<const uint64_t> bucket_counts, double sum);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Non-cumulative count of bucket i (i == upper_bounds().size() is the +Inf bucket).
  uint64_t bucket_count(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// A metric name must match [a-zA-Z_:][a-zA-Z0-9_:]* (Prometheus data model); checked.
class Registry {
 public:
  Counter& AddCounter(std::string name, std::string help);
  Gauge& AddGauge(std::string name, std::string help);
  Histogram& AddHistogram(std::string name, std::string help, std::vector<double> upper_bounds);
  // An info-style gauge fixed at 1 whose labels carry the facts: lifeboat_build_info{version=...}.
  void AddInfo(std::string name, std::string help,
               std::vector<std::pair<std::string, std::string>> labels);

  // The whole registry in registration order, Prometheus text format.
  std::string Render() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram, kInfo };
  struct Entry {
    std::string name;
    std::string help;
    Kind kind;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::vector<std::pair<std::string, std::string>> labels;
  };
  Entry& Add(std::string name, std::string help, Kind kind);
  std::vector<std::unique_ptr<Entry>> entries_;
};

// Renders a sample value the way Prometheus clients do: integers without a fraction, +Inf/-Inf/NaN.
std::string FormatSampleValue(double value);

}  // namespace lifeboat::metrics
