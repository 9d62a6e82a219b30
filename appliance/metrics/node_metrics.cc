#include "appliance/metrics/node_metrics.h"

#include <string>
#include <vector>

#include "eventlog/group_commit.h"

namespace lifeboat::metrics {

namespace {

// Records per batch: 1, 2, 4, ... 4096 (the writer's kBatchRecordsBucketCount buckets; nothing
// falls above the last, batches are capped at kGroupCommitBatchRecordsMax).
std::vector<double> BatchEventsBounds() {
  std::vector<double> bounds;
  for (size_t k = 0; k < eventlog::kBatchRecordsBucketCount; ++k) {
    bounds.push_back(static_cast<double>(uint64_t{1} << k));
  }
  return bounds;
}

// fsync latency: 2^(k+4) microseconds, in seconds; the writer's last bucket is the overflow,
// which is Prometheus' +Inf bucket.
std::vector<double> FsyncSecondsBounds() {
  std::vector<double> bounds;
  for (size_t k = 0; k + 1 < eventlog::kFsyncLatencyBucketCount; ++k) {
    uint64_t micros = uint64_t{1} << (k + eventlog::kFsyncLatencyFirstBucketLog2Micros);
    bounds.push_back(static_cast<double>(micros) / 1e6);
  }
  return bounds;
}

}  // namespace

NodeMetrics::NodeMetrics(Registry& registry, std::string_view version) {
  registry.AddInfo("lifeboat_build_info", "Build facts of this lifeboat binary.",
                   {{"version", std::string(version)}});
  events_appended = &registry.AddCounter("lifeboat_events_appended_total",
                                         "Events durably appended to the local log.");
  batch_events = &registry.AddHistogram("lifeboat_group_commit_batch_events",
                                        "Events written per group-commit batch (one fsync).",
                                        BatchEventsBounds());
  fsync_seconds = &registry.AddHistogram(
      "lifeboat_fsync_seconds", "Duration of one synced log write (LevelDB write + fdatasync).",
      FsyncSecondsBounds());
  projection_lag_events =
      &registry.AddGauge("lifeboat_projection_lag_events",
                         "Committed events not yet applied to the state projections.");
  log_last_index =
      &registry.AddGauge("lifeboat_log_last_index", "Index of the last durable event.");
  wal_files_preallocated = &registry.AddCounter(
      "lifeboat_wal_files_preallocated_total",
      "Log WAL files written into a zero-filled spare (synced writes without metadata).");
  wal_files_plain = &registry.AddCounter(
      "lifeboat_wal_files_plain_total",
      "Log WAL files created as ordinary files: no spare was ready (startup, low free space).");
  smtp_messages_committed = &registry.AddCounter("lifeboat_smtp_messages_committed_total",
                                                 "Messages made durable and answered 250.");
  smtp_messages_failed = &registry.AddCounter("lifeboat_smtp_messages_failed_total",
                                              "Messages answered 4xx because storage failed.");
  smtp_sessions_refused = &registry.AddCounter("lifeboat_smtp_sessions_refused_total",
                                               "SMTP connections refused by session limits.");
  smtp_sessions_open = &registry.AddGauge("lifeboat_smtp_sessions_open", "Open SMTP sessions.");
  disk_free_bytes = &registry.AddGauge("lifeboat_data_disk_free_bytes",
                                       "Free bytes on the data dir's file system.");
  disk_reserve_refusing = &registry.AddGauge(
      "lifeboat_disk_reserve_refusing",
      "1 while new events (and mail, 452 4.3.1) are refused to keep the disk reserve, else 0.");
  disk_ballast_present = &registry.AddGauge(
      "lifeboat_disk_ballast_present",
      "1 while the ballast file is in the data dir; 0 after it was released to start on a full "
      "disk (or could not be made yet).");
  directory_entries =
      &registry.AddGauge("lifeboat_directory_entries", "Entries in the synced directory.");
  directory_last_sync_age_seconds =
      &registry.AddGauge("lifeboat_directory_last_sync_age_seconds",
                         "Seconds since the last successful LDAP sync (-1: never).");
  directory_sync_failing = &registry.AddGauge("lifeboat_directory_sync_failing",
                                              "1 while the last LDAP sync failed, else 0.");
}

void NodeMetrics::LoadGroupCommitStats(const eventlog::GroupCommitStats& stats) {
  events_appended->Set(stats.appended_events);
  std::vector<uint64_t> batch_counts(stats.batch_records_histogram.begin(),
                                     stats.batch_records_histogram.end());
  batch_counts.push_back(0);  // +Inf: no batch exceeds the last bound
  batch_events->Load(batch_counts, static_cast<double>(stats.appended_events));
  fsync_seconds->Load(stats.fsync_latency_histogram,
                      static_cast<double>(stats.fsync_nanos_total) / 1e9);
}

}  // namespace lifeboat::metrics
