// Prometheus text rendering of the metrics registry.
#include "appliance/metrics/metrics.h"

#include <gtest/gtest.h>

#include "appliance/metrics/node_metrics.h"
#include "eventlog/group_commit.h"

namespace lifeboat::metrics {
namespace {

TEST(MetricsTest, RendersCounterGaugeAndHistogram) {
  Registry registry;
  Counter& appended = registry.AddCounter("test_events_total", "Events seen.");
  Gauge& lag = registry.AddGauge("test_lag_events", "Lag.");
  Histogram& latency = registry.AddHistogram("test_seconds", "Latency.", {0.5, 1, 2});
  appended.Increment();
  appended.Increment(2);
  lag.Set(7);
  latency.Observe(0.25);
  latency.Observe(1);
  latency.Observe(1.5);
  latency.Observe(10);
  EXPECT_EQ(registry.Render(),
            "# HELP test_events_total Events seen.\n"
            "# TYPE test_events_total counter\n"
            "test_events_total 3\n"
            "# HELP test_lag_events Lag.\n"
            "# TYPE test_lag_events gauge\n"
            "test_lag_events 7\n"
            "# HELP test_seconds Latency.\n"
            "# TYPE test_seconds histogram\n"
            "test_seconds_bucket{le=\"0.5\"} 1\n"
            "test_seconds_bucket{le=\"1\"} 2\n"
            "test_seconds_bucket{le=\"2\"} 3\n"
            "test_seconds_bucket{le=\"+Inf\"} 4\n"
            "test_seconds_sum 12.75\n"
            "test_seconds_count 4\n");
}

TEST(MetricsTest, InfoMetricEscapesLabelValues) {
  Registry registry;
  registry.AddInfo("test_build_info", "Build.", {{"version", "1.0 \"beta\"\\x"}});
  EXPECT_EQ(registry.Render(),
            "# HELP test_build_info Build.\n"
            "# TYPE test_build_info gauge\n"
            "test_build_info{version=\"1.0 \\\"beta\\\"\\\\x\"} 1\n");
}

TEST(MetricsTest, NodeMetricsMirrorGroupCommitStats) {
  Registry registry;
  NodeMetrics node(registry, "0.1.0");
  eventlog::GroupCommitStats stats;
  stats.appended_events = 5;
  stats.batches = 2;
  stats.batch_records_histogram[1] = 1;  // one batch of 2 records
  stats.batch_records_histogram[2] = 1;  // one batch of 3 records (<= 4)
  stats.fsync_nanos_total = 3'000'000;
  stats.fsync_latency_histogram[6] = 2;  // <= 2^10 us = 0.001024 s
  node.LoadGroupCommitStats(stats);
  node.projection_lag_events->Set(2);
  node.log_last_index->Set(5);
  std::string text = registry.Render();
  EXPECT_NE(text.find("lifeboat_build_info{version=\"0.1.0\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lifeboat_events_appended_total 5\n"), std::string::npos);
  EXPECT_NE(text.find("lifeboat_group_commit_batch_events_bucket{le=\"1\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("lifeboat_group_commit_batch_events_bucket{le=\"2\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("lifeboat_group_commit_batch_events_bucket{le=\"4\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("lifeboat_group_commit_batch_events_bucket{le=\"4096\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("lifeboat_group_commit_batch_events_sum 5\n"), std::string::npos);
  EXPECT_NE(text.find("lifeboat_group_commit_batch_events_count 2\n"), std::string::npos);
  EXPECT_NE(text.find("lifeboat_fsync_seconds_bucket{le=\"0.000512\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("lifeboat_fsync_seconds_bucket{le=\"0.001024\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lifeboat_fsync_seconds_bucket{le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lifeboat_fsync_seconds_sum 0.003\n"), std::string::npos);
  EXPECT_NE(text.find("lifeboat_projection_lag_events 2\n"), std::string::npos);
  EXPECT_NE(text.find("lifeboat_log_last_index 5\n"), std::string::npos);
}

TEST(MetricsTest, SampleValueFormatting) {
  EXPECT_EQ(FormatSampleValue(3), "3");
  EXPECT_EQ(FormatSampleValue(0.001), "0.001");
  EXPECT_EQ(FormatSampleValue(1.0 / 0.0), "+Inf");
}

}  // namespace
}  // namespace lifeboat::metrics
