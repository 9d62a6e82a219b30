#pragma once
// The projection runner folds committed log records into the `state` LevelDB (DESIGN.md
// "Storage"): it reads records from a LogStore in index order, parses each into an events::Event,
// hands it to every registered Projection and commits the resulting writes in batches.
//
// State layout (one LevelDB, keys in byte order):
//   "a/<name>"        applied index of projection <name>: 8 bytes, big-endian uint64
//   "p/<name>/<key>"  the projection's own keys (projection.h)
// The applied index is kept per projection, not globally, so that a projection added by a newer
// version starts at 0 and catches up from the log while the others skip events they already
// hold. Every batch writes the changed keys and the new applied indices in ONE LevelDB
// WriteBatch: after a crash, state and applied indices always agree.
//
// Durability: state writes are NOT synced. State is a pure function of the log (DESIGN.md
// "Determinism"), so a write lost in a crash is applied again from the log on the next
// ApplyThrough(). The database is opened with paranoid checks, so a state WAL damaged in an OS
// crash fails Open with Corruption instead of silently dropping a batch in the middle; the node
// then calls Rebuild().
//
// Threading: Open, ApplyThrough and the destructor are called by one owner (the projection
// worker thread in production, see projection_worker.h). Get(), applied_index() and StateHash()
// are thread-safe and may run concurrently with ApplyThrough: they read through LevelDB, which
// is thread-safe, and see only committed batches.

#include <google/protobuf/arena.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "eventlog/log_payload_format.h"
#include "eventlog/log_store.h"
#include "eventlog/projection.h"

namespace leveldb {
class Cache;
class DB;
class Env;
class FilterPolicy;
}  // namespace leveldb

namespace lifeboat::eventlog {

// Limits, units last (STYLE.md rule 8). A batch closes at whichever limit comes first, and always
// holds at least one event (a single 50 MiB MailReceived is one batch).
inline constexpr size_t kProjectionBatchEventsMax = 1024;
// Payload bytes read plus bytes written (keys and values) in one batch.
inline constexpr size_t kProjectionBatchBytesMax = 8u << 20;
// Payload bytes in one chunk read ahead (log_prefetcher.h).
inline constexpr size_t kProjectionReadBytesMax = 4u << 20;
// Files the state database keeps open: its table cache holds max_open_files - 10 tables, each
// with its index and Bloom filter blocks in memory (about 25 bytes per stored mail together), so
// this bounds that memory whatever the number of mails (README "Memory"). A state larger than
// the cached tables costs a table open (index and filter reads) on a miss.
inline constexpr int kStateOpenFilesMax = 300;
// The parse arena's blocks (see ProjectionRunner::arena_): a batch of small events fits in one.
inline constexpr size_t kProjectionArenaBlockBytes = 256u << 10;

struct ProjectionRunnerOptions {
  std::string path;                     // directory of the `state` LevelDB
  leveldb::Env* leveldb_env = nullptr;  // nullptr: leveldb::Env::Default(); tests inject faults
  size_t batch_events_max = kProjectionBatchEventsMax;  // tests lower it to see batch boundaries
  size_t batch_bytes_max = kProjectionBatchBytesMax;
  size_t block_cache_bytes = 8u << 20;
  size_t write_buffer_bytes = 16u << 20;  // larger than LevelDB's 4 MiB: rebuild writes a lot
  int open_files_max = kStateOpenFilesMax;
  // Read a range longer than one batch ahead on a serial executor of `read_ahead_env`
  // (log_prefetcher.h). Off, or no Env: every range is parsed in place from LevelDB's memory on
  // the calling thread (one core).
  bool read_ahead = true;
  Env* read_ahead_env = nullptr;  // must outlive the runner
  // What the log's records hold (log_payload_format.h): events, or Raft entries on a cluster node.
  LogPayloadFormat format = LogPayloadFormat::kEvent;
};

// What modules use to read projection state: read-only and thread-safe.
class StateReader {
 public:
  virtual ~StateReader() = default;
  // The value of `key` in projection `projection_name` ("p/<projection_name>/<key>"), as of the
  // last committed batch. nullopt when absent.
  virtual Result<std::optional<std::string>> Get(std::string_view projection_name,
                                                 std::string_view key) const = 0;
  // Up to `limit` (key, value) pairs of projection `projection_name` whose keys start with
  // `prefix` and sort strictly after `start_after` ("" = from the first), in ascending key order.
  // Keys are returned relative to the projection ("p/<name>/" removed).
  using KeyValues = std::vector<std::pair<std::string, std::string>>;
  virtual Result<KeyValues> Scan(std::string_view projection_name, std::string_view prefix,
                                 std::string_view start_after, size_t limit) const = 0;
};

class ProjectionRunner : public StateReader {
 public:
  // Opens (or creates) the state database and loads each projection's applied index.
  // `projections` must outlive the runner; names are unique, non-empty and contain no '/'.
  static Result<std::unique_ptr<ProjectionRunner>> Open(const ProjectionRunnerOptions& options,
                                                        std::vector<Projection*> projections);
  ~ProjectionRunner() override;
  ProjectionRunner(const ProjectionRunner&) = delete;
  ProjectionRunner& operator=(const ProjectionRunner&) = delete;

  // Called after each committed batch with the new applied_index(); returning false stops
  // ApplyThrough there (it returns OK, short of commit_index). The projection worker reports
  // progress and honours Stop() through it.
  using BatchCommitted = std::function<bool(uint64_t applied_index)>;

  // Applies committed records (applied_index(), commit_index] from `log`, in batches. Returns
  // after the last batch is written, or at the first error; batches committed before an error
  // stay, the batch in progress is discarded whole. Errors:
  //   Corruption naming the index: a payload that does not parse as events::Event, or a record
  //     the log reports corrupt;
  //   FailedPrecondition: the log no longer holds the next record (compacted: a snapshot is
  //     needed) or the state is ahead of the log (another log: rebuild);
  //   a projection's own error, prefixed with its name and the index;
  //   IoError from the state database.
  // A commit_index at or below applied_index() is a no-op (after a restart Raft learns the
  // commit index again). Records past log.last_index() are never read. Records are parsed
  // from LogStore::Visit's views, without a copy; a range longer than one batch is read ahead on
  // the read-ahead executor (log_prefetcher.h) unless options.read_ahead is off or has no Env.
  Status ApplyThrough(const LogStore& log, uint64_t commit_index,
                      const BatchCommitted& on_batch = nullptr);

  // The lowest applied index over all projections: every event up to it is folded everywhere.
  uint64_t applied_index() const { return applied_index_.load(std::memory_order_acquire); }
  // The applied index of one projection, or nullopt if no projection has that name.
  std::optional<uint64_t> applied_index_of(std::string_view projection_name) const;
  // How far projections trail the log: commit_index - applied_index(), 0 if not behind.
  uint64_t lag(uint64_t commit_index) const;

  Result<std::optional<std::string>> Get(std::string_view projection_name,
                                         std::string_view key) const override;
  Result<KeyValues> Scan(std::string_view projection_name, std::string_view prefix,
                         std::string_view start_after, size_t limit) const override;

  // SHA-256 (lower-case hex) over every key and value of the state database in key order, each
  // as big-endian uint64 length then bytes (length prefixes keep ("ab","c") apart from
  // ("a","bc")). Applied indices are included: two states hash equal exactly when they hold the
  // same projection keys folded through the same indices. A rebuild must reproduce it.
  Result<std::string> StateHash() const;

 private:
  struct Registered {
    Projection* projection = nullptr;
    std::string name;
    std::string key_prefix;   // "p/<name>/"
    std::string applied_key;  // "a/<name>"
    // Written by the owner thread after each commit, read by any thread.
    std::atomic<uint64_t> applied_index{0};
  };
  class Batch;

  ProjectionRunner() = default;
  // Applies records next..target, both held by the log, committing batch by batch; on an error
  // the batch in progress is discarded (projections told through OnBatchDiscarded).
  Status ApplyRange(const LogStore& log, uint64_t next, uint64_t target,
                    const BatchCommitted& on_batch);
  Status ApplyBatches(const LogStore& log, uint64_t next, uint64_t target,
                      const BatchCommitted& on_batch);
  Status ApplyRecord(const LogRecordView& record, Batch& batch);
  Status Commit(Batch& batch);
  void PublishAppliedIndex();

  ProjectionRunnerOptions options_;
  // Declared before db_ so they outlive it: LevelDB holds raw pointers to both.
  std::unique_ptr<leveldb::Cache> block_cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_policy_;
  std::unique_ptr<leveldb::DB> db_;
  // unique_ptr: Registered holds an atomic, which cannot move.
  std::vector<std::unique_ptr<Registered>> projections_;
  std::atomic<uint64_t> applied_index_{0};
  // Parsed events live on an arena that is reset after every committed batch. Parsing into a
  // cleared message drops its oneof payload (protobuf frees a oneof message on Clear), so a reused
  // heap Event still pays a malloc/free pair per field of every small event; on the arena those
  // are pointer bumps (measured: parse of a 50-byte event 175 -> 140 ns). The arena holds at most
  // one batch of parsed events (bounded by batch_bytes_max); its first block is ours, kept across
  // resets. Projections must not keep a reference to the Event they are given (projection.h).
  void ResetArena();
  std::unique_ptr<char[]> arena_block_;
  std::unique_ptr<google::protobuf::Arena> arena_;
  events::Event* event_ = nullptr;  // on arena_; reused for every record of a batch
};

// Wipes the state database at options.path (leveldb::DestroyDB; no runner may have it open),
// replays every record of `log`
// through `projections` up to `through_index` (nullopt: log.last_index(); pass the commit index
// when the log may hold an uncommitted Raft suffix) and returns the StateHash of the result.
// FailedPrecondition when the log has been compacted (first_index() > 1): this version
// rebuilds from the whole log only (snapshots come with replication); a suffix would be wrong
// state. `on_batch` sees each committed batch, as in ApplyThrough (`lifeboat rebuild` shows
// progress with it).
Result<std::string> Rebuild(const LogStore& log, const ProjectionRunnerOptions& options,
                            std::vector<Projection*> projections,
                            std::optional<uint64_t> through_index = std::nullopt,
                            const ProjectionRunner::BatchCommitted& on_batch = nullptr);

}  // namespace lifeboat::eventlog
