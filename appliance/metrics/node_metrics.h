#pragma once
// The node's metrics, registered once at startup (names are an operator contract: dashboards and
// alerts depend on them, so never rename one). The group-commit figures mirror the writer's own
// cumulative statistics (eventlog/group_commit.h), with the writer's bucket bounds, refreshed
// before each scrape.

#include <string_view>

#include "appliance/metrics/metrics.h"

namespace lifeboat::eventlog {
struct GroupCommitStats;
}  // namespace lifeboat::eventlog

namespace lifeboat::metrics {

struct NodeMetrics {
  // `registry` must outlive this object.
  NodeMetrics(Registry& registry, std::string_view version);

  // Copies the writer's cumulative figures into the mirrored metrics. Any thread.
  void LoadGroupCommitStats(const eventlog::GroupCommitStats& stats);

  Counter* events_appended = nullptr;         // lifeboat_events_appended_total
  Histogram* batch_events = nullptr;          // lifeboat_group_commit_batch_events
  Histogram* fsync_seconds = nullptr;         // lifeboat_fsync_seconds
  Gauge* projection_lag_events = nullptr;     // lifeboat_projection_lag_events
  Gauge* log_last_index = nullptr;            // lifeboat_log_last_index
  Counter* wal_files_preallocated = nullptr;  // lifeboat_wal_files_preallocated_total
  Counter* wal_files_plain = nullptr;         // lifeboat_wal_files_plain_total
  // SMTP listener (mirrored from its counters before each scrape).
  Counter* smtp_messages_committed = nullptr;  // lifeboat_smtp_messages_committed_total
  Counter* smtp_messages_failed = nullptr;     // lifeboat_smtp_messages_failed_total
  Counter* smtp_sessions_refused = nullptr;    // lifeboat_smtp_sessions_refused_total
  Gauge* smtp_sessions_open = nullptr;         // lifeboat_smtp_sessions_open
  Gauge* disk_free_bytes = nullptr;            // lifeboat_data_disk_free_bytes
  Gauge* disk_reserve_refusing = nullptr;      // lifeboat_disk_reserve_refusing
  Gauge* disk_ballast_present = nullptr;       // lifeboat_disk_ballast_present
  // Directory: what an alert at 3 a.m. needs (is the copy of AD going stale?).
  Gauge* directory_entries = nullptr;                // lifeboat_directory_entries
  Gauge* directory_last_sync_age_seconds = nullptr;  // lifeboat_directory_last_sync_age_seconds
  Gauge* directory_sync_failing = nullptr;           // lifeboat_directory_sync_failing
};

}  // namespace lifeboat::metrics
