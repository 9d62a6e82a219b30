#include "eventlog/log_store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <string>
#include <utility>

#include "eventlog/leveldb_env.h"
#include "eventlog/leveldb_status.h"
#include "eventlog/log_record_format.h"
#include "eventlog/wal_dir_sync_env.h"

namespace lifeboat::eventlog {
namespace {

leveldb::ReadOptions VerifiedReads() {
  leveldb::ReadOptions options;
  options.verify_checksums = true;
  return options;
}

leveldb::WriteOptions SyncedWrites() {
  leveldb::WriteOptions options;
  options.sync = true;  // STYLE.md rule 5: durable before acknowledged
  return options;
}

std::string_view View(const leveldb::Slice& slice) {
  return {slice.data(), slice.size()};
}

std::string IndexName(uint64_t index) {
  return "log record " + std::to_string(index);
}

// Reads a fixed64 meta value; `fallback` when absent.
Result<uint64_t> ReadMetaNumber(leveldb::DB& db, std::string_view name, uint64_t fallback) {
  std::string value;
  leveldb::Status status = db.Get(VerifiedReads(), format::MetaKey(name), &value);
  if (status.IsNotFound()) return fallback;
  LB_RETURN_IF_ERROR(FromLevelDb(status, "reading log meta " + std::string(name)));
  uint64_t number = 0;
  if (!format::DecodeFixed64(value, &number)) {
    return Status::Corruption("log meta " + std::string(name) + ": expected 8 bytes, found " +
                              std::to_string(value.size()));
  }
  return number;
}

}  // namespace

Result<std::unique_ptr<LogStore>> LogStore::Open(const LogStoreOptions& options) {
  std::unique_ptr<LogStore> store(new LogStore());
  store->block_cache_.reset(leveldb::NewLRUCache(options.block_cache_bytes));
  leveldb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  // Stop at the first inconsistency instead of skipping it: a damaged complete WAL record fails
  // Open (a torn tail, by contrast, is a record the writer never finished: LevelDB drops it).
  db_options.paranoid_checks = true;
  db_options.block_cache = store->block_cache_.get();
  db_options.write_buffer_size = options.write_buffer_bytes;
  db_options.max_open_files = options.open_files_max;
  db_options.compression =
      options.compress_tables ? leveldb::kSnappyCompression : leveldb::kNoCompression;
  leveldb::Env* base = options.leveldb_env != nullptr ? options.leveldb_env : DefaultLevelDbEnv();
  WalFileSystem* wal_files = options.wal_file_system;
  if (wal_files == nullptr && options.leveldb_env == nullptr) wal_files = PosixWalFileSystem();
  // WALs a preallocating node wrote may end in zeros or a torn record, so they are trimmed
  // first, under LevelDB's lock (preallocated_wal_env.h).
  if (wal_files != nullptr && options.preallocate_wal) {
    const uint64_t spare_bytes = options.wal_spare_bytes != 0
                                     ? options.wal_spare_bytes
                                     : options.write_buffer_bytes + kWalSpareSlackBytes;
    Result<std::unique_ptr<PreallocatedWalEnv>> preallocated = PreallocatedWalEnv::Open(
        base, wal_files, PreallocatedWalOptions{options.path, spare_bytes});
    if (!preallocated.ok()) {
      return Status(preallocated.status().code(),
                    "opening log " + options.path + ": " + preallocated.status().message());
    }
    store->preallocated_env_ = std::move(preallocated).value();
    base = store->preallocated_env_.get();
  } else if (wal_files != nullptr) {
    Status trimmed = TrimWriteAheadLogs(base, wal_files, options.path);
    if (!trimmed.ok()) {
      return Status(trimmed.code(), "opening log " + options.path + ": " + trimmed.message());
    }
  }
  store->env_ = std::make_unique<WalDirSyncEnv>(
      base, options.sync_directory != nullptr ? options.sync_directory : SyncDirectoryPosix);
  db_options.env = store->env_.get();
  leveldb::DB* db = nullptr;
  LB_RETURN_IF_ERROR(
      FromLevelDb(leveldb::DB::Open(db_options, options.path, &db), "opening log " + options.path));
  store->db_.reset(db);
  if (store->preallocated_env_ != nullptr && options.env != nullptr) {
    store->preallocated_env_->StartFiller(*options.env);
  }
  LB_RETURN_IF_ERROR(store->LoadRange());
  return store;
}

LogStore::~LogStore() = default;

// Finds the held range from the keys and the meta, and checks both ends: the first record sits
// exactly at the recorded first index, and the first and last records pass their checksums.
// Interior records are checked by every Read, not here, so Open stays fast on a large log.
Status LogStore::LoadRange() {
  Result<uint64_t> meta_first = ReadMetaNumber(*db_, format::kMetaFirstIndex, 1);
  LB_RETURN_IF_ERROR(meta_first.status());
  Result<uint64_t> compacted_term = ReadMetaNumber(*db_, format::kMetaCompactedTerm, 0);
  LB_RETURN_IF_ERROR(compacted_term.status());
  const uint64_t first = *meta_first;
  LB_CHECK(first >= 1);

  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(VerifiedReads()));
  // The last record: the greatest key below the tag after 'e'.
  it->Seek(std::string(1, format::kRecordKeyTag + 1));
  if (it->Valid()) {
    it->Prev();
  } else {
    it->SeekToLast();
  }
  LB_RETURN_IF_ERROR(FromLevelDb(it->status(), "scanning log"));
  uint64_t last = 0;
  bool has_records = it->Valid() && format::ParseRecordKey(View(it->key()), &last);
  if (!has_records) {
    first_index_ = first;
    last_index_ = first - 1;
    last_term_ = *compacted_term;
    return Status::Ok();
  }
  if (last < first) {
    return Status::Corruption(IndexName(last) + ": below the recorded first index " +
                              std::to_string(first));
  }
  Result<format::DecodedRecordValue> last_value =
      format::DecodeRecordValue(last, View(it->value()));
  LB_RETURN_IF_ERROR(last_value.status());
  const uint64_t last_term = last_value->term;

  // Seek straight to the first index: keys compacted away may linger as tombstones.
  it->Seek(format::RecordKey(first));
  LB_RETURN_IF_ERROR(FromLevelDb(it->status(), "scanning log"));
  uint64_t found_first = 0;
  if (!it->Valid() || !format::ParseRecordKey(View(it->key()), &found_first) ||
      found_first != first) {
    return Status::Corruption(IndexName(first) + ": missing (the log starts at " +
                              std::to_string(first) + " but its first record is " +
                              (it->Valid() ? std::to_string(found_first) : "absent") + ")");
  }
  LB_RETURN_IF_ERROR(format::DecodeRecordValue(first, View(it->value())).status());
  first_index_ = first;
  last_index_ = last;
  last_term_ = last_term;
  return Status::Ok();
}

namespace {

// `records` must continue `previous_index` (each index one more than the last), stay within the
// payload limit and never lower the term below `previous_term`.
Status CheckRecordsFollow(std::span<const LogRecord> records, uint64_t previous_index,
                          uint64_t previous_term, std::string_view operation) {
  for (const LogRecord& record : records) {
    if (record.index != previous_index + 1) {
      return Status::InvalidArgument(std::string(operation) + ": " + IndexName(record.index) +
                                     " does not follow " + std::to_string(previous_index));
    }
    if (record.payload.size() > kLogRecordPayloadBytesMax) {
      return Status::InvalidArgument(std::string(operation) + ": " + IndexName(record.index) +
                                     ": payload of " + std::to_string(record.payload.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(kLogRecordPayloadBytesMax));
    }
    if (record.term < previous_term) {
      return Status::InvalidArgument(std::string(operation) + ": " + IndexName(record.index) +
                                     ": term " + std::to_string(record.term) +
                                     " is lower than term " + std::to_string(previous_term) +
                                     " before it");
    }
    previous_index = record.index;
    previous_term = record.term;
  }
  return Status::Ok();
}

void PutRecords(std::span<const LogRecord> records, leveldb::WriteBatch& batch) {
  for (const LogRecord& record : records) {
    batch.Put(format::RecordKey(record.index),
              format::EncodeRecordValue(record.term, record.payload));
  }
}

}  // namespace

Status LogStore::Append(std::span<const LogRecord> records) {
  if (records.empty()) return Status::Ok();
  LB_RETURN_IF_ERROR(CheckRecordsFollow(records, last_index(), last_term(), "append"));
  leveldb::WriteBatch batch;
  PutRecords(records, batch);
  LB_RETURN_IF_ERROR(FromLevelDb(db_->Write(SyncedWrites(), &batch), "appending to log"));
  last_term_.store(records.back().term, std::memory_order_release);
  last_index_.store(records.back().index, std::memory_order_release);
  return Status::Ok();
}

Status LogStore::AppendAt(std::span<const LogRecord> records, uint64_t keep_through) {
  if (records.empty()) return Status::Ok();
  const uint64_t first_given = records.front().index;
  if (first_given == 0) return Status::InvalidArgument("append at: index 0 is never a record");
  LB_RETURN_IF_ERROR(CheckRecordsFollow(records, first_given - 1, 0, "append at"));
  const uint64_t last = last_index();
  if (first_given > last + 1) {
    return Status::InvalidArgument("append at: " + IndexName(first_given) +
                                   " leaves a gap after the last index " + std::to_string(last));
  }
  // Skip what the log already holds (compacted records are committed; a held record with the
  // same term is the same entry, Raft's Log Matching Property) up to the first conflict.
  size_t start = 0;
  bool conflict = false;
  for (; start < records.size(); ++start) {
    const LogRecord& record = records[start];
    if (record.index < first_index()) continue;
    if (record.index > last) break;
    Result<uint64_t> held_term = ReadTerm(record.index);
    LB_RETURN_IF_ERROR(held_term.status());
    if (*held_term == record.term) continue;
    if (record.index <= keep_through) {
      return Status::FailedPrecondition(
          "append at: " + IndexName(record.index) + " of term " + std::to_string(record.term) +
          " conflicts with the held record of term " + std::to_string(*held_term) +
          ", which is at or below " + std::to_string(keep_through) + " and must be kept");
    }
    conflict = true;
    break;
  }
  if (start == records.size()) return Status::Ok();  // everything was held already
  const std::span<const LogRecord> fresh = records.subspan(start);
  const uint64_t from = fresh.front().index;
  Result<uint64_t> previous_term = ReadTerm(from - 1);
  LB_RETURN_IF_ERROR(previous_term.status());
  LB_RETURN_IF_ERROR(CheckRecordsFollow(fresh, from - 1, *previous_term, "append at"));

  // The conflicting suffix goes and the new records come in one synced write: a crash leaves the
  // old suffix or the new one, never a log cut short of both.
  leveldb::WriteBatch batch;
  if (conflict) {
    for (uint64_t index = from; index <= last; ++index) batch.Delete(format::RecordKey(index));
    // Readers stop at last_index(): lower it before the records are replaced.
    last_index_.store(from - 1, std::memory_order_release);
  }
  PutRecords(fresh, batch);
  LB_RETURN_IF_ERROR(FromLevelDb(db_->Write(SyncedWrites(), &batch), "appending at an index"));
  last_term_.store(fresh.back().term, std::memory_order_release);
  last_index_.store(fresh.back().index, std::memory_order_release);
  return Status::Ok();
}

Result<std::vector<LogRecord>> LogStore::Read(uint64_t first, uint64_t last,
                                              size_t max_bytes) const {
  std::vector<LogRecord> records;
  size_t bytes = 0;
  Result<uint64_t> visited =
      Visit(first, last, [&](const LogRecordView& view) -> Result<VisitNext> {
        records.push_back({view.index, view.term, std::string(view.payload)});
        bytes += view.payload.size();
        return bytes >= max_bytes ? VisitNext::kStop : VisitNext::kContinue;
      });
  LB_RETURN_IF_ERROR(visited.status());
  return records;
}

Result<uint64_t> LogStore::Visit(uint64_t first, uint64_t last, const LogRecordVisitor& visitor,
                                 LogReadPattern pattern) const {
  if (first < first_index() || first > last_index()) {
    return Status::NotFound("read: " + IndexName(first) + " is outside [" +
                            std::to_string(first_index()) + ", " + std::to_string(last_index()) +
                            "]");
  }
  if (last < first) {
    return Status::InvalidArgument("read: last " + std::to_string(last) + " < first " +
                                   std::to_string(first));
  }
  // Clamp before creating the iterator: every record up to `last` was written before the
  // iterator's implicit snapshot, so a record missing from it is missing from the database.
  last = std::min(last, last_index());
  leveldb::ReadOptions read_options = VerifiedReads();
  read_options.fill_cache = pattern == LogReadPattern::kRecent;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(read_options));
  it->Seek(format::RecordKey(first));
  uint64_t index = first;
  for (; index <= last; ++index, it->Next()) {
    uint64_t found = 0;
    if (!it->Valid() || !format::ParseRecordKey(View(it->key()), &found) || found != index) {
      LB_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading " + IndexName(index)));
      // A concurrent CompactPrefix or TruncateSuffix explains a missing record; nothing else does.
      if (index < first_index()) {
        return Status::NotFound("read: " + IndexName(index) + " compacted");
      }
      if (index > last_index()) break;
      return Status::Corruption(IndexName(index) + ": missing");
    }
    Result<format::DecodedRecordValue> value = format::DecodeRecordValue(index, View(it->value()));
    LB_RETURN_IF_ERROR(value.status());
    Result<VisitNext> next = visitor(LogRecordView{index, value->term, value->payload});
    LB_RETURN_IF_ERROR(next.status());
    if (*next == VisitNext::kStop) return index;
  }
  if (index == first) return Status::NotFound("read: " + IndexName(first) + " truncated");
  return index - 1;
}

Result<uint64_t> LogStore::ReadTerm(uint64_t index) const {
  if (index + 1 == first_index()) {
    return ReadMetaNumber(*db_, format::kMetaCompactedTerm, 0);
  }
  Result<std::vector<LogRecord>> records = Read(index, index, 1);
  LB_RETURN_IF_ERROR(records.status());
  return records->front().term;
}

Status LogStore::TruncateSuffix(uint64_t from_index) {
  const uint64_t last = last_index();
  if (from_index < first_index() || from_index > last + 1) {
    return Status::InvalidArgument("truncate suffix: from " + std::to_string(from_index) +
                                   " is outside [" + std::to_string(first_index()) + ", " +
                                   std::to_string(last + 1) + "]");
  }
  if (from_index == last + 1) return Status::Ok();
  Result<uint64_t> new_last_term = ReadTerm(from_index - 1);
  LB_RETURN_IF_ERROR(new_last_term.status());
  leveldb::WriteBatch batch;
  for (uint64_t index = from_index; index <= last; ++index) batch.Delete(format::RecordKey(index));
  // Readers stop at last_index(): lower it before the records disappear.
  last_index_.store(from_index - 1, std::memory_order_release);
  Status status = FromLevelDb(db_->Write(SyncedWrites(), &batch), "truncating log suffix");
  if (!status.ok()) {
    // The records may or may not be gone; LevelDB refuses further writes after a failed sync.
    return status;
  }
  last_term_.store(*new_last_term, std::memory_order_release);
  return Status::Ok();
}

Status LogStore::CompactPrefix(uint64_t through_index) {
  const uint64_t first = first_index();
  if (through_index < first) return Status::Ok();
  if (through_index > last_index()) {
    return Status::InvalidArgument("compact prefix: through " + std::to_string(through_index) +
                                   " is beyond the last index " + std::to_string(last_index()));
  }
  Result<uint64_t> through_term = ReadTerm(through_index);
  LB_RETURN_IF_ERROR(through_term.status());
  leveldb::WriteBatch batch;
  for (uint64_t index = first; index <= through_index; ++index) {
    batch.Delete(format::RecordKey(index));
  }
  batch.Put(format::MetaKey(format::kMetaFirstIndex), format::EncodeFixed64(through_index + 1));
  batch.Put(format::MetaKey(format::kMetaCompactedTerm), format::EncodeFixed64(*through_term));
  // Readers check first_index() first: raise it before the records disappear.
  first_index_.store(through_index + 1, std::memory_order_release);
  return FromLevelDb(db_->Write(SyncedWrites(), &batch), "compacting log prefix");
}

Status LogStore::ResetAfter(uint64_t through_index, uint64_t through_term) {
  const uint64_t first = first_index();
  const uint64_t last = last_index();
  if (through_index + 1 < first) {
    return Status::InvalidArgument("reset after " + std::to_string(through_index) +
                                   ": below the first index " + std::to_string(first));
  }
  leveldb::WriteBatch batch;
  for (uint64_t index = first; index <= last; ++index) batch.Delete(format::RecordKey(index));
  batch.Put(format::MetaKey(format::kMetaFirstIndex), format::EncodeFixed64(through_index + 1));
  batch.Put(format::MetaKey(format::kMetaCompactedTerm), format::EncodeFixed64(through_term));
  // Readers check first_index() first: raise it before the records disappear.
  first_index_.store(through_index + 1, std::memory_order_release);
  last_index_.store(through_index, std::memory_order_release);
  Status status = FromLevelDb(db_->Write(SyncedWrites(), &batch), "resetting the log");
  if (!status.ok()) return status;
  last_term_.store(through_term, std::memory_order_release);
  return Status::Ok();
}

Result<std::optional<std::string>> LogStore::GetMeta(std::string_view name) const {
  std::string value;
  leveldb::Status status = db_->Get(VerifiedReads(), format::MetaKey(name), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  LB_RETURN_IF_ERROR(FromLevelDb(status, "reading log meta " + std::string(name)));
  return std::optional<std::string>(std::move(value));
}

Status LogStore::PutMeta(std::string_view name, std::string_view value) {
  if (name.starts_with(format::kReservedMetaPrefix)) {
    return Status::InvalidArgument("log meta " + std::string(name) + ": the prefix " +
                                   std::string(format::kReservedMetaPrefix) +
                                   " is reserved for the log store");
  }
  return FromLevelDb(
      db_->Put(SyncedWrites(), format::MetaKey(name), leveldb::Slice(value.data(), value.size())),
      "writing log meta " + std::string(name));
}

uint64_t LogStore::ApproximateBytes() const {
  // Every key starts with a tag byte below 0xff, so this range covers the whole database.
  const std::string start(1, '\0');
  const std::string limit(1, '\xff');
  leveldb::Range range(start, limit);
  uint64_t bytes = 0;
  db_->GetApproximateSizes(&range, 1, &bytes);
  return bytes;
}

uint64_t LogStore::preallocated_wal_files() const {
  return preallocated_env_ != nullptr ? preallocated_env_->preallocated_files() : 0;
}

uint64_t LogStore::plain_wal_files() const {
  return preallocated_env_ != nullptr ? preallocated_env_->plain_files() : 0;
}

}  // namespace lifeboat::eventlog
