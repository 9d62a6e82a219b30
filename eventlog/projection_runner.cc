#include "eventlog/projection_runner.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "appliance/env/check.h"
#include "eventlog/leveldb_env.h"
#include "eventlog/leveldb_status.h"
#include "eventlog/log_prefetcher.h"
#include "eventlog/state_hash.h"

namespace lifeboat::eventlog {
namespace {

constexpr std::string_view kAppliedKeyPrefix = "a/";
constexpr std::string_view kProjectionKeyPrefix = "p/";
constexpr size_t kAppliedIndexBytes = 8;

std::string EncodeIndex(uint64_t index) {
  std::string out(kAppliedIndexBytes, '\0');
  for (size_t i = 0; i < kAppliedIndexBytes; ++i) {
    out[kAppliedIndexBytes - 1 - i] = static_cast<char>(index >> (8 * i));
  }
  return out;
}

uint64_t DecodeIndex(std::string_view bytes) {
  LB_CHECK(bytes.size() == kAppliedIndexBytes);
  uint64_t index = 0;
  for (char c : bytes) index = (index << 8) | static_cast<uint8_t>(c);
  return index;
}

Status WithContext(const Status& status, std::string_view context) {
  return Status(status.code(), std::string(context) + ": " + status.message());
}

Result<std::optional<std::string>> GetFromDb(leveldb::DB& db, const std::string& key) {
  std::string value;
  leveldb::Status status = db.Get(leveldb::ReadOptions(), key, &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return FromLevelDb(status, "state read of '" + key + "'");
  return std::optional<std::string>(std::move(value));
}

}  // namespace

// The writes of the batch in progress, by full key; nullopt marks a delete. A projection's reads
// consult it before the database, so an event sees the writes of earlier events in the same
// batch and of earlier projections for the same event (projection.h: reads see own writes).
class ProjectionRunner::Batch {
 public:
  explicit Batch(const std::vector<std::unique_ptr<Registered>>& projections) {
    applied_.reserve(projections.size());
    for (const auto& registered : projections) {
      applied_.push_back(registered->applied_index.load(std::memory_order_relaxed));
    }
  }

  std::map<std::string, std::optional<std::string>, std::less<>>& writes() { return writes_; }
  std::vector<uint64_t>& applied() { return applied_; }
  size_t events() const { return events_; }
  size_t bytes() const { return bytes_; }
  void CountEvent(size_t payload_bytes) {
    ++events_;
    bytes_ += payload_bytes;
  }
  // Where OverlayState adds the bytes each write costs.
  size_t& bytes_counter() { return bytes_; }

 private:
  std::map<std::string, std::optional<std::string>, std::less<>> writes_;
  std::vector<uint64_t> applied_;  // per projection, parallel to projections_
  size_t events_ = 0;
  size_t bytes_ = 0;
};

namespace {

// The ProjectionState one projection gets for one event: its keys prefixed, writes buffered in
// the batch overlay.
class OverlayState : public ProjectionState {
 public:
  using Writes = std::map<std::string, std::optional<std::string>, std::less<>>;
  OverlayState(leveldb::DB& db, Writes& writes, const std::string& key_prefix,
               size_t& written_bytes)
      : db_(db), writes_(writes), key_prefix_(key_prefix), written_bytes_(written_bytes) {}

  Result<std::optional<std::string>> Get(std::string_view key) override {
    std::string full_key = FullKey(key);
    if (auto it = writes_.find(full_key); it != writes_.end()) return it->second;
    return GetFromDb(db_, full_key);
  }
  void Put(std::string_view key, std::string_view value) override {
    std::string full_key = FullKey(key);
    written_bytes_ += full_key.size() + value.size();
    writes_.insert_or_assign(std::move(full_key), std::string(value));
  }
  void Delete(std::string_view key) override {
    std::string full_key = FullKey(key);
    written_bytes_ += full_key.size();
    writes_.insert_or_assign(std::move(full_key), std::nullopt);
  }

 private:
  std::string FullKey(std::string_view key) const {
    std::string full_key;
    full_key.reserve(key_prefix_.size() + key.size());
    full_key.append(key_prefix_).append(key);
    return full_key;
  }

  leveldb::DB& db_;
  Writes& writes_;
  const std::string& key_prefix_;
  size_t& written_bytes_;
};

}  // namespace

Result<std::unique_ptr<ProjectionRunner>> ProjectionRunner::Open(
    const ProjectionRunnerOptions& options, std::vector<Projection*> projections) {
  LB_CHECK(!options.path.empty());
  LB_CHECK(!projections.empty());
  LB_CHECK(options.batch_events_max > 0 && options.batch_bytes_max > 0);
  std::unique_ptr<ProjectionRunner> runner(new ProjectionRunner());
  runner->options_ = options;

  std::set<std::string_view> names;
  for (Projection* projection : projections) {
    LB_CHECK(projection != nullptr);
    std::string_view name = projection->name();
    LB_CHECK(!name.empty() && name.find('/') == std::string_view::npos);
    LB_CHECK(names.insert(name).second);  // two projections may not share a key prefix
    auto registered = std::make_unique<Registered>();
    registered->projection = projection;
    registered->name = std::string(name);
    registered->key_prefix = std::string(kProjectionKeyPrefix) + registered->name + "/";
    registered->applied_key = std::string(kAppliedKeyPrefix) + registered->name;
    runner->projections_.push_back(std::move(registered));
  }

  leveldb::Options db_options;
  db_options.create_if_missing = true;
  // A WAL damaged in the middle (OS crash with unsynced writes) must fail Open rather than drop
  // one batch and keep later ones: state would then disagree with its applied index.
  db_options.paranoid_checks = true;
  db_options.write_buffer_size = options.write_buffer_bytes;
  db_options.max_open_files = options.open_files_max;
  db_options.env = options.leveldb_env != nullptr ? options.leveldb_env : DefaultLevelDbEnv();
  runner->block_cache_.reset(leveldb::NewLRUCache(options.block_cache_bytes));
  db_options.block_cache = runner->block_cache_.get();
  // Projections often ask for keys that do not exist yet (a first message for a recipient).
  runner->filter_policy_.reset(leveldb::NewBloomFilterPolicy(10));
  db_options.filter_policy = runner->filter_policy_.get();

  leveldb::DB* db = nullptr;
  LB_RETURN_IF_ERROR(FromLevelDb(leveldb::DB::Open(db_options, options.path, &db),
                                 "open state database " + options.path));
  runner->db_.reset(db);

  for (auto& registered : runner->projections_) {
    Result<std::optional<std::string>> stored = GetFromDb(*runner->db_, registered->applied_key);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) continue;  // a new projection: starts from the first record
    if ((*stored)->size() != kAppliedIndexBytes) {
      return Status::Corruption("state key " + registered->applied_key + " holds " +
                                std::to_string((*stored)->size()) + " bytes, not 8");
    }
    registered->applied_index.store(DecodeIndex(**stored), std::memory_order_release);
  }
  runner->PublishAppliedIndex();
  runner->ResetArena();
  return runner;
}

ProjectionRunner::~ProjectionRunner() = default;

void ProjectionRunner::PublishAppliedIndex() {
  uint64_t lowest = std::numeric_limits<uint64_t>::max();
  for (const auto& registered : projections_) {
    lowest = std::min(lowest, registered->applied_index.load(std::memory_order_relaxed));
  }
  applied_index_.store(lowest, std::memory_order_release);
}

std::optional<uint64_t> ProjectionRunner::applied_index_of(std::string_view projection_name) const {
  for (const auto& registered : projections_) {
    if (registered->name == projection_name) {
      return registered->applied_index.load(std::memory_order_acquire);
    }
  }
  return std::nullopt;
}

uint64_t ProjectionRunner::lag(uint64_t commit_index) const {
  uint64_t applied = applied_index();
  return commit_index > applied ? commit_index - applied : 0;
}

Result<std::optional<std::string>> ProjectionRunner::Get(std::string_view projection_name,
                                                         std::string_view key) const {
  std::string full_key;
  full_key.append(kProjectionKeyPrefix).append(projection_name).append("/").append(key);
  return GetFromDb(*db_, full_key);
}

Result<StateReader::KeyValues> ProjectionRunner::Scan(std::string_view projection_name,
                                                      std::string_view prefix,
                                                      std::string_view start_after,
                                                      size_t limit) const {
  std::string base;
  base.append(kProjectionKeyPrefix).append(projection_name).append("/");
  const std::string full_prefix = base + std::string(prefix);
  const std::string after = base + std::string(start_after);
  KeyValues out;
  leveldb::ReadOptions options;
  options.verify_checksums = true;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(options));
  it->Seek(start_after.empty() || after < full_prefix ? full_prefix : after);
  for (; it->Valid() && out.size() < limit; it->Next()) {
    leveldb::Slice key = it->key();
    if (!key.starts_with(full_prefix)) break;
    if (!start_after.empty() && key.ToString() == after) continue;
    out.emplace_back(std::string(key.data() + base.size(), key.size() - base.size()),
                     it->value().ToString());
  }
  if (!it->status().ok()) {
    return Status::Corruption("state scan of " + full_prefix + ": " + it->status().ToString());
  }
  return out;
}

Status ProjectionRunner::ApplyThrough(const LogStore& log, uint64_t commit_index,
                                      const BatchCommitted& on_batch) {
  // Read the log's bounds once: its writer may append (or compact) on another thread meanwhile.
  const uint64_t log_first = log.first_index();
  const uint64_t log_last = log.last_index();
  uint64_t highest_applied = 0;
  for (const auto& registered : projections_) {
    highest_applied =
        std::max(highest_applied, registered->applied_index.load(std::memory_order_relaxed));
  }
  if (highest_applied > log_last) {
    return Status::FailedPrecondition("state is applied through index " +
                                      std::to_string(highest_applied) + " but the log ends at " +
                                      std::to_string(log_last) +
                                      ": the state belongs to another log; rebuild it");
  }
  const uint64_t target = std::min(commit_index, log_last);
  uint64_t next = applied_index() + 1;
  if (target < next) return Status::Ok();
  if (next < log_first) {
    return Status::FailedPrecondition("projections need log record " + std::to_string(next) +
                                      " but the log was compacted up to " +
                                      std::to_string(log_first - 1) + ": restore a snapshot first");
  }

  return ApplyRange(log, next, target, on_batch);
}

Status ProjectionRunner::ApplyRange(const LogStore& log, uint64_t next, uint64_t target,
                                    const BatchCommitted& on_batch) {
  Status applied = ApplyBatches(log, next, target, on_batch);
  // Batches commit whole; the one in progress when an error stopped the range is discarded, and
  // with it what its Applies staged for in-memory views (projection.h).
  if (!applied.ok()) {
    for (const auto& registered : projections_) registered->projection->OnBatchDiscarded();
  }
  return applied;
}

Status ProjectionRunner::ApplyBatches(const LogStore& log, uint64_t next, uint64_t target,
                                      const BatchCommitted& on_batch) {
  ResetArena();  // events parsed by a batch an earlier error discarded
  Batch batch(projections_);
  bool stopped = false;
  // Applies one record; commits when the batch is full or the range done. kStop when on_batch
  // asked to stop. Errors are our own (parse, projection, state write).
  auto apply = [&](const LogRecordView& record) -> Result<VisitNext> {
    LB_CHECK(record.index == next);  // consecutive, from the first record asked for
    LB_RETURN_IF_ERROR(ApplyRecord(record, batch));
    ++next;
    if (batch.events() >= options_.batch_events_max || batch.bytes() >= options_.batch_bytes_max ||
        next > target) {
      LB_RETURN_IF_ERROR(Commit(batch));
      batch = Batch(projections_);
      if (on_batch != nullptr && !on_batch(applied_index())) {
        stopped = true;
        return VisitNext::kStop;
      }
    }
    return VisitNext::kContinue;
  };

  const size_t chunk_records = options_.batch_events_max;
  const bool long_range = target - next >= chunk_records;
  if (options_.read_ahead && options_.read_ahead_env != nullptr && long_range) {
    // A range longer than one chunk (a rebuild, a catch-up) is read ahead on an executor.
    LogPrefetcher prefetcher(*options_.read_ahead_env, log, next, target, chunk_records,
                             kProjectionReadBytesMax);
    while (next <= target && !stopped) {
      Result<const LogChunk*> chunk = prefetcher.Next();
      if (!chunk.ok()) {
        return WithContext(chunk.status(), "reading log from index " + std::to_string(next));
      }
      for (size_t i = 0; i < (*chunk)->size() && !stopped; ++i) {
        LB_RETURN_IF_ERROR(apply((**chunk)[i]).status());
      }
    }
  } else {
    // Inline: the log's records are parsed where LevelDB holds them, one visit per chunk so the
    // iterator pins LevelDB's files only briefly. Errors from `apply` come back unchanged; the
    // log's own get the read context.
    Status apply_error;
    const LogRecordVisitor visitor = [&](const LogRecordView& record) -> Result<VisitNext> {
      Result<VisitNext> step = apply(record);
      if (!step.ok()) apply_error = step.status();
      return step;
    };
    while (next <= target && !stopped) {
      const uint64_t chunk_last = std::min<uint64_t>(target, next + chunk_records - 1);
      Result<uint64_t> visited = log.Visit(
          next, chunk_last, visitor, long_range ? LogReadPattern::kBulk : LogReadPattern::kRecent);
      if (!apply_error.ok()) return apply_error;
      if (!visited.ok()) {
        return WithContext(visited.status(), "reading log from index " + std::to_string(next));
      }
      LB_CHECK(*visited + 1 == next);
    }
  }
  if (stopped) return Status::Ok();
  LB_CHECK(batch.events() == 0);
  LB_CHECK(applied_index() == target);
  return Status::Ok();
}

Status ProjectionRunner::ApplyRecord(const LogRecordView& record, Batch& batch) {
  // Unknown fields (a payload type from a newer version) are kept and payload_case() is
  // PAYLOAD_NOT_SET: projections skip it (events.proto). Parsed straight from the log's view:
  // no copy of the payload. ParseFromArray clears the reused event first.
  events::Event& event = *event_;
  Result<std::optional<std::string_view>> bytes = EventBytes(record.payload, options_.format);
  if (!bytes.ok()) {
    return Status::Corruption("log record " + std::to_string(record.index) + ": " +
                              bytes.status().message());
  }
  if (!bytes->has_value()) {
    // A Raft configuration change or barrier: it holds an index and no event; every projection
    // has folded it once it is passed.
    for (size_t i = 0; i < projections_.size(); ++i) {
      uint64_t& applied = batch.applied()[i];
      if (record.index <= applied) continue;
      LB_CHECK(record.index == applied + 1);
      applied = record.index;
    }
    return Status::Ok();
  }
  const std::string_view payload = **bytes;
  if (payload.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !event.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Status::Corruption("log record " + std::to_string(record.index) +
                              ": payload does not parse as lifeboat.events.Event");
  }
  event.set_index(record.index);
  event.set_term(record.term);
  batch.CountEvent(payload.size());
  for (size_t i = 0; i < projections_.size(); ++i) {
    uint64_t& applied = batch.applied()[i];
    if (record.index <= applied) continue;  // this projection already folded it
    LB_CHECK(record.index == applied + 1);  // no projection may skip a record
    const Registered& registered = *projections_[i];
    OverlayState state(*db_, batch.writes(), registered.key_prefix, batch.bytes_counter());
    Status status = registered.projection->Apply(event, state);
    if (!status.ok()) {
      return WithContext(status, "projection " + registered.name + " at log record " +
                                     std::to_string(record.index));
    }
    applied = record.index;
  }
  return Status::Ok();
}

Status ProjectionRunner::Commit(Batch& batch) {
  leveldb::WriteBatch write_batch;
  for (const auto& [key, value] : batch.writes()) {
    if (value.has_value()) {
      write_batch.Put(key, *value);
    } else {
      write_batch.Delete(key);
    }
  }
  for (size_t i = 0; i < projections_.size(); ++i) {
    if (batch.applied()[i] != projections_[i]->applied_index.load(std::memory_order_relaxed)) {
      write_batch.Put(projections_[i]->applied_key, EncodeIndex(batch.applied()[i]));
    }
  }
  // Not synced: state is rebuildable from the (synced) log, so a batch lost in a crash is applied
  // again; the batch is atomic, so state and applied index never disagree (header comment).
  leveldb::WriteOptions write_options;
  write_options.sync = false;
  LB_RETURN_IF_ERROR(FromLevelDb(db_->Write(write_options, &write_batch), "state batch write"));
  // Views first, then the index: whoever sees the new applied index sees the views with it.
  for (const auto& registered : projections_) registered->projection->OnBatchCommitted();
  for (size_t i = 0; i < projections_.size(); ++i) {
    projections_[i]->applied_index.store(batch.applied()[i], std::memory_order_release);
  }
  PublishAppliedIndex();
  ResetArena();  // no parsed event of this batch is referenced any more
  return Status::Ok();
}

void ProjectionRunner::ResetArena() {
  if (arena_ == nullptr) {
    arena_block_ = std::make_unique<char[]>(kProjectionArenaBlockBytes);
    google::protobuf::ArenaOptions arena_options;
    arena_options.initial_block = arena_block_.get();
    arena_options.initial_block_size = kProjectionArenaBlockBytes;
    arena_options.start_block_size = kProjectionArenaBlockBytes;
    arena_options.max_block_size = kProjectionArenaBlockBytes;
    arena_ = std::make_unique<google::protobuf::Arena>(arena_options);
  } else {
    arena_->Reset();  // frees every block but our initial one
  }
  event_ = google::protobuf::Arena::CreateMessage<events::Event>(arena_.get());
}

Result<std::string> ProjectionRunner::StateHash() const {
  return HashStateDatabase(*db_);
}

Result<std::string> Rebuild(const LogStore& log, const ProjectionRunnerOptions& options,
                            std::vector<Projection*> projections,
                            std::optional<uint64_t> through_index,
                            const ProjectionRunner::BatchCommitted& on_batch) {
  if (log.first_index() > 1) {
    return Status::FailedPrecondition(
        "cannot rebuild state: the log was compacted up to index " +
        std::to_string(log.first_index() - 1) +
        "; rebuild replays the whole log (snapshots come with replication)");
  }
  leveldb::Options destroy_options;
  if (options.leveldb_env != nullptr) destroy_options.env = options.leveldb_env;
  LB_RETURN_IF_ERROR(FromLevelDb(leveldb::DestroyDB(options.path, destroy_options),
                                 "wipe state database " + options.path));
  Result<std::unique_ptr<ProjectionRunner>> runner =
      ProjectionRunner::Open(options, std::move(projections));
  if (!runner.ok()) return runner.status();
  LB_RETURN_IF_ERROR(
      (*runner)->ApplyThrough(log, through_index.value_or(log.last_index()), on_batch));
  return (*runner)->StateHash();
}

}  // namespace lifeboat::eventlog
