#pragma once
// The durable, append-only event log on LevelDB (DESIGN.md "Storage": the `log` LevelDB).
//
// Layout: one LevelDB per node. Records are keyed 'e' + big-endian uint64 index, so LevelDB's
// byte order is index order; metadata (cluster identity, Raft term and vote, first index after
// compaction) lives under 'm' + name. Each record value is
//   fixed32 masked CRC-32C of the rest | fixed64 term | payload bytes
// and the CRC is verified on every read: LevelDB's own block checksums catch media errors, ours
// also catch a wrong value written under a right key (a bug, a bad restore).
//
// Durability: every mutating call is a synced LevelDB write (WriteOptions::sync) and returns only
// once the WAL is fdatasync'ed (STYLE.md rule 5), and each new WAL file's name is made durable
// (directory fsync) before it receives records (wal_dir_sync_env.h). A crash loses only calls that
// had not returned. WAL files are zero-filled spares (preallocated_wal_env.h), so a synced write
// overwrites synced blocks and needs no metadata. A torn WAL tail (the writer died mid-record) is
// dropped at Open (wal_tail.h trims it, then LevelDB recovers): those records were never
// acknowledged. A complete but corrupt record fails Open (paranoid checks)
// or the Read that meets it with Corruption naming the index: it is never skipped or "repaired"
// into wrong data.
//
// Threading: one writer. A single owner (the group-commit storage thread in production) calls the
// mutating methods (Append, AppendAt, TruncateSuffix, CompactPrefix, PutMeta). Read, Visit,
// GetMeta, the index accessors and ApproximateBytes may be called from any thread concurrently
// (LevelDB is thread-safe for that; the index fields are atomics), so the projection runner and the
// admin API read while the writer appends. A Read or Visit racing a CompactPrefix may answer
// NotFound; it never invents or skips a record. Open() is exclusive: LevelDB's LOCK file refuses a
// second process.

#include <atomic>
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
#include "eventlog/preallocated_wal_env.h"
#include "eventlog/wal_file_system.h"

namespace leveldb {
class Cache;
class DB;
class Env;
class Status;
}  // namespace leveldb

namespace lifeboat::eventlog {

// One log record as Raft sees it: an index, the term it was proposed in, opaque bytes
// (a serialized events::Event without index and term).
struct LogRecord {
  uint64_t index = 0;
  uint64_t term = 0;
  std::string payload;
};

// One record as LogStore::Visit hands it over: checked (CRC, index) but not copied. `payload`
// points into LevelDB's memory and is valid only during the visitor call that receives it.
struct LogRecordView {
  uint64_t index = 0;
  uint64_t term = 0;
  std::string_view payload;
};

// What a visitor wants after a record: the next one, or to end the visit there.
enum class VisitNext { kContinue, kStop };
// Called once per record, in index order. An error ends the visit and Visit returns it unchanged.
using LogRecordVisitor = std::function<Result<VisitNext>(const LogRecordView& record)>;

// How a Visit uses LevelDB's block cache. kBulk, for a long scan (a rebuild, a catch-up): blocks
// read are not added to the cache, so the scan neither pays for the inserts nor evicts the recent
// blocks other readers use (LevelDB doc/index.md, "Caching", recommends this for bulk reads).
enum class LogReadPattern { kRecent, kBulk };

// Limits, units last (STYLE.md rule 8).
inline constexpr size_t kLogRecordPayloadBytesMax = 64u << 20;  // one event: a 50 MiB mail + margin
inline constexpr size_t kLogReadBytesDefault = 4u << 20;        // one Read() chunk
// Files LevelDB keeps open (its table cache holds max_open_files - 10 tables). Every open table
// keeps its index block in memory, about 1% of the table's data for mail-sized records, so this
// bounds that memory whatever the log's size (README "Memory"); a table read after it was evicted
// is opened again (one index read). The log is read sequentially (replay) or near its end.
inline constexpr int kLogOpenFilesMax = 100;

struct LogStoreOptions {
  std::string path;                     // directory of the LevelDB
  leveldb::Env* leveldb_env = nullptr;  // nullptr: leveldb::Env::Default(); tests inject faults
  bool create_if_missing = true;
  size_t block_cache_bytes = 8u << 20;
  // Syncs a directory; nullptr: fsync through POSIX. The fault-injection disk passes its own so
  // that the syncs of new WAL names are visible to its crash model (wal_dir_sync_env.h).
  std::function<leveldb::Status(const std::string& directory)> sync_directory;
  // LevelDB memtable size: how much of the WAL is replayed at open. Tests make it small to force
  // memtable flushes and compactions under fault injection.
  size_t write_buffer_bytes = 8u << 20;
  // The in-place writes, trims and free space of the preallocated WAL (wal_file_system.h), on
  // the same files as `leveldb_env`. nullptr: PosixWalFileSystem() when `leveldb_env` is null;
  // with an injected Env and no file layer, WALs are LevelDB's ordinary files, never trimmed.
  // The fault-injection disk is both (simulator/fault_injection_env.h): crash tests pass it here
  // too, and so cover the production WAL path.
  WalFileSystem* wal_file_system = nullptr;
  int open_files_max = kLogOpenFilesMax;
  // Snappy over the table files' blocks, at each memtable flush. Kept on: turning it off saved no
  // measurable CPU (a block snappy cannot shrink by 1/8 is stored raw) and made a log of text
  // mail 4-5 times larger (README "Performance"). Tables written either way stay readable.
  bool compress_tables = true;
  // Write the WAL into zero-filled files (preallocated_wal_env.h): synced appends cost about
  // 40% less. Needs a file layer (above). Off for a short-lived reader (the offline CLI), which
  // needs no spare file; its WALs are trimmed all the same.
  bool preallocate_wal = true;
  // Size of each zero-filled WAL file; 0: a memtable's worth (write_buffer_bytes) plus
  // kWalSpareSlackBytes. Tests make it small so that writes also run past a spare's end.
  uint64_t wal_spare_bytes = 0;
  // Runs the preallocation's spare filler on one of its executors (preallocated_wal_env.h); must
  // outlive the store. nullptr: only the spare made at Open is handed out, none is refilled.
  Env* env = nullptr;
};

class LogStore {
 public:
  static Result<std::unique_ptr<LogStore>> Open(const LogStoreOptions& options);
  ~LogStore();
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  // Appends `records`, whose indices must continue last_index() + 1 without a gap, in one synced
  // write batch: all of them are durable when this returns OK. A gap, an oversize payload or a
  // term lower than the last record's is InvalidArgument, and nothing is written. After an
  // IoError the batch is invisible to this process (LevelDB then refuses every later write), but
  // its bytes may have reached the WAL before the fsync failed, so it can reappear after a
  // restart, whole: a failed append means "unknown", never "absent" (hence at-least-once).
  Status Append(std::span<const LogRecord> records);

  // Raft's AppendEntries on the log (Ongaro and Ousterhout 2014, figure 2, receiver steps 3-4):
  // `records` carry their own consecutive indices and terms, starting at most at last_index() + 1.
  // A record the log holds with the same term is the same entry and is kept; at the first record
  // whose term differs from the held one, the log's suffix from there is replaced by the rest of
  // `records` (the deletions and the new records are one synced write). Records below
  // first_index() are covered by a snapshot, hence committed, and skipped. A log longer than
  // `records` with no conflict keeps its tail (a stale AppendEntries must not cut it).
  // `keep_through`: the caller's commit index; a conflict at or below it would rewrite a committed
  // record, so it is FailedPrecondition and nothing is written. A gap, non-consecutive indices, a
  // term lower than the one before, or an oversize payload is InvalidArgument, nothing written.
  // Failure after the write started is IoError with Append's meaning ("unknown", see above).
  Status AppendAt(std::span<const LogRecord> records, uint64_t keep_through);

  // Records first..last (inclusive; `last` is clamped to last_index()) in index order, stopping
  // once `max_bytes` of payload have been read (always at least one record). NotFound when `first`
  // is outside [first_index(), last_index()]; InvalidArgument when last < first; Corruption when a
  // record fails its checksum or is missing inside the range.
  // Implemented on Visit: the same checks, plus one copy per record.
  Result<std::vector<LogRecord>> Read(uint64_t first, uint64_t last,
                                      size_t max_bytes = kLogReadBytesDefault) const;

  // The zero-copy read path (the projection runner's): hands records first..last (inclusive;
  // `last` is clamped to last_index()) to `visitor` in index order through one LevelDB iterator,
  // each record's CRC verified in place, nothing copied or allocated per record. Stops after
  // `last`, when the visitor answers kStop, or at the first error. Returns the index of the last
  // record visited. Errors are Read's, with the same messages (NotFound, InvalidArgument,
  // Corruption naming the index of a checksum mismatch or a missing record), plus the visitor's
  // own, unchanged. A record is handed over only once it has passed its checks, so a visitor may
  // act on it at once; a Corruption can still end a visit after earlier records were visited.
  // The iterator pins LevelDB's current files and memtable until Visit returns: callers visit
  // bounded ranges (the runner visits one batch at a time) rather than the whole log at once.
  Result<uint64_t> Visit(uint64_t first, uint64_t last, const LogRecordVisitor& visitor,
                         LogReadPattern pattern = LogReadPattern::kRecent) const;

  // The index range held. An empty log has first_index() == last_index() + 1 (initially 1 and 0;
  // after CompactPrefix(n) of everything, n + 1 and n).
  uint64_t first_index() const { return first_index_.load(std::memory_order_acquire); }
  uint64_t last_index() const { return last_index_.load(std::memory_order_acquire); }
  // The term of the record at last_index(), or the compacted-through term; 0 when never written.
  uint64_t last_term() const { return last_term_.load(std::memory_order_acquire); }

  // Removes records with index >= from_index (Raft: a new leader overwrote an uncommitted
  // suffix). from_index must be > first_index() - 1 and <= last_index() + 1. Synced.
  Status TruncateSuffix(uint64_t from_index);
  // Removes records with index <= through_index (covered by a snapshot). Synced; the new first
  // index (and the term of record through_index) is recorded so an emptied log still knows where
  // it continues. through_index < first_index() is a no-op; > last_index() is InvalidArgument.
  Status CompactPrefix(uint64_t through_index);
  // Removes every record and makes the empty log continue after `through_index`, whose term was
  // `through_term` (Raft: a follower installed a snapshot, which replaces its whole log, also
  // when the snapshot reaches beyond the log's end). through_index < first_index() - 1 is
  // InvalidArgument (the log would move back over a compacted prefix). Synced, one write.
  Status ResetAfter(uint64_t through_index, uint64_t through_term);

  // Small synced metadata: cluster identity, Raft term and vote, snapshot markers. Names starting
  // with "lifeboat.log." belong to the store itself: PutMeta refuses them (InvalidArgument).
  Result<std::optional<std::string>> GetMeta(std::string_view name) const;
  Status PutMeta(std::string_view name, std::string_view value);

  // Approximate bytes on disk, for status and metrics.
  uint64_t ApproximateBytes() const;
  // WAL files that were preallocated / ordinary since Open (preallocated_wal_env.h).
  uint64_t preallocated_wal_files() const;
  uint64_t plain_wal_files() const;

 private:
  LogStore() = default;
  Status LoadRange();
  Result<uint64_t> ReadTerm(uint64_t index) const;

  // The cache and the Env must outlive the DB: declared first, destroyed last.
  std::unique_ptr<leveldb::Cache> block_cache_;
  std::unique_ptr<PreallocatedWalEnv> preallocated_env_;  // null unless preallocating
  std::unique_ptr<leveldb::Env> env_;  // WalDirSyncEnv over the caller's, preallocated or default
  std::unique_ptr<leveldb::DB> db_;
  std::atomic<uint64_t> first_index_{1};
  std::atomic<uint64_t> last_index_{0};
  std::atomic<uint64_t> last_term_{0};
};

}  // namespace lifeboat::eventlog
