#include "eventlog/raft/log_store_raft_storage.h"

#include <utility>

#include "eventlog/raft.pb.h"

namespace lifeboat::eventlog::raft {
namespace {

std::string EncodeTermVote(uint64_t term, uint64_t vote) {
  std::string out(16, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(term >> (56 - 8 * i));
    out[8 + i] = static_cast<char>(vote >> (56 - 8 * i));
  }
  return out;
}

uint64_t DecodeBigEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (char byte : bytes.substr(0, 8)) value = (value << 8) | static_cast<uint8_t>(byte);
  return value;
}

LogRecord ToRecord(uint64_t index, RaftEntry entry) {
  LogRecord record;
  record.index = index;
  record.term = entry.term;
  record.payload.reserve(1 + entry.data.size());
  record.payload.push_back(static_cast<char>(entry.type));
  record.payload += entry.data;
  return record;
}

}  // namespace

LogStoreRaftStorage::LogStoreRaftStorage(Env& env, LogStore& store)
    : env_(env), store_(store), executor_(env.NewSerialExecutor("lb-raft-log")) {}

LogStoreRaftStorage::~LogStoreRaftStorage() {
  executor_->Shutdown();
}

LogStoreRaftStorageStats LogStoreRaftStorage::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

Result<std::optional<RaftSnapshot>> LogStoreRaftStorage::ReadSnapshot() const {
  Result<std::optional<std::string>> stored = store_.GetMeta(kRaftSnapshotMeta);
  if (!stored.ok()) return stored.status();
  if (!stored.value().has_value()) return std::optional<RaftSnapshot>();
  raftwire::InstallSnapshot proto;
  if (!proto.ParseFromString(*stored.value())) {
    return Status::Corruption("raft snapshot meta does not parse");
  }
  RaftSnapshot snapshot;
  snapshot.index = proto.last_index();
  snapshot.term = proto.last_term();
  for (const raftwire::Server& server : proto.configuration()) {
    snapshot.configuration.push_back(RaftServer{server.id(), server.address(), server.role()});
  }
  snapshot.configuration_index = proto.configuration_index();
  snapshot.data = proto.data();
  return std::optional<RaftSnapshot>(std::move(snapshot));
}

Result<RaftPersistentState> LogStoreRaftStorage::Load() {
  RaftPersistentState state;
  Result<std::optional<std::string>> term_vote = store_.GetMeta(kRaftTermVoteMeta);
  if (!term_vote.ok()) return term_vote.status();
  if (term_vote.value().has_value()) {
    const std::string& bytes = *term_vote.value();
    if (bytes.size() != 16) return Status::Corruption("raft term/vote meta is not 16 bytes");
    state.term = DecodeBigEndian(bytes);
    state.voted_for = DecodeBigEndian(std::string_view(bytes).substr(8));
  }
  Result<std::optional<RaftSnapshot>> snapshot = ReadSnapshot();
  if (!snapshot.ok()) return snapshot.status();
  state.snapshot = std::move(snapshot.value());
  state.start_index = store_.first_index();
  if (state.snapshot.has_value() && store_.last_index() < state.snapshot->index) {
    // A crash between storing an installed snapshot and emptying the log (WriteSnapshot): the
    // old entries end before the snapshot, which replaces them all.
    state.start_index = state.snapshot->index + 1;
    return state;
  }
  for (uint64_t next = store_.first_index(); next <= store_.last_index();) {
    Result<std::vector<LogRecord>> records = store_.Read(next, store_.last_index());
    if (!records.ok()) return records.status();
    for (LogRecord& record : records.value()) {
      if (record.payload.empty()) {
        return Status::Corruption("raft entry " + std::to_string(record.index) +
                                  " has no type byte");
      }
      RaftEntry entry;
      entry.term = record.term;
      entry.type = static_cast<uint8_t>(record.payload[0]);
      entry.data = record.payload.substr(1);
      state.entries.push_back(std::move(entry));
      next = record.index + 1;
    }
  }
  return state;
}

Status LogStoreRaftStorage::Bootstrap(const RaftEntry& first_entry) {
  Result<std::optional<std::string>> term_vote = store_.GetMeta(kRaftTermVoteMeta);
  if (!term_vote.ok()) return term_vote.status();
  if (term_vote.value().has_value() || store_.last_index() != 0) {
    return Status::FailedPrecondition("raft log is not pristine: cannot bootstrap");
  }
  const LogRecord record = ToRecord(1, first_entry);
  LB_RETURN_IF_ERROR(store_.Append(std::span<const LogRecord>(&record, 1)));
  return SetTermAndVote(1, 0);
}

Status LogStoreRaftStorage::SetTermAndVote(uint64_t term, uint64_t voted_for) {
  return store_.PutMeta(kRaftTermVoteMeta, EncodeTermVote(term, voted_for));
}

void LogStoreRaftStorage::Append(uint64_t first_index, std::vector<RaftEntry> entries, Done done) {
  {
    std::lock_guard lock(mutex_);
    stats_.append_calls += 1;
  }
  Write write;
  write.kind = Write::Kind::kAppend;
  write.first_index = first_index;
  for (size_t i = 0; i < entries.size(); ++i) {
    write.records.push_back(ToRecord(first_index + i, std::move(entries[i])));
  }
  write.done = std::move(done);
  Enqueue(std::move(write));
}

void LogStoreRaftStorage::Truncate(uint64_t from_index, Done done) {
  Write write;
  write.kind = Write::Kind::kTruncate;
  write.first_index = from_index;
  write.done = std::move(done);
  Enqueue(std::move(write));
}

void LogStoreRaftStorage::PutSnapshot(RaftSnapshot snapshot, uint64_t trailing, Done done) {
  Write write;
  write.kind = Write::Kind::kSnapshot;
  write.snapshot = std::move(snapshot);
  write.trailing = trailing;
  write.done = std::move(done);
  Enqueue(std::move(write));
}

void LogStoreRaftStorage::GetSnapshot(SnapshotDone done) {
  // Ordered after the writes already queued, so it sees the snapshot a PutSnapshot just stored.
  executor_->Submit([this, done = std::move(done)]() mutable {
    Result<std::optional<RaftSnapshot>> snapshot = ReadSnapshot();
    Result<RaftSnapshot> outcome = Status::NotFound("no raft snapshot");
    if (!snapshot.ok()) {
      outcome = snapshot.status();
    } else if (snapshot.value().has_value()) {
      outcome = std::move(*snapshot.value());
    }
    env_.Post([done = std::move(done), outcome = std::move(outcome)]() mutable {
      done(std::move(outcome));
    });
  });
}

void LogStoreRaftStorage::Enqueue(Write write) {
  Done early;  // the injected bug: acknowledged now, written later
  if (write.kind == Write::Kind::kAppend && acknowledge_before_sync_for_tests_ != nullptr &&
      acknowledge_before_sync_for_tests_()) {
    early = std::move(write.done);
    write.done = [](Status) {};
  }
  bool submit = false;
  {
    std::lock_guard lock(mutex_);
    bool hold = false;
    if (early != nullptr) {
      for (const LogRecord& record : write.records) held_bytes_ += record.payload.size();
      hold = held_bytes_ < kHeldBytesMaxForTests;
    }
    queue_.push_back(std::move(write));
    if (!hold) held_bytes_ = 0;
    if (!draining_ && !hold) {
      draining_ = true;
      submit = true;
    }
  }
  if (early != nullptr) env_.Post([early = std::move(early)] { early(Status::Ok()); });
  if (submit) executor_->Submit([this] { Drain(); });
}

void LogStoreRaftStorage::Drain() {
  for (;;) {
    std::deque<Write> batch;
    std::optional<Status> failed;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) {
        draining_ = false;
        return;
      }
      batch.swap(queue_);
      failed = failed_;
    }
    std::vector<std::pair<Done, Status>> results;
    size_t i = 0;
    while (i < batch.size()) {
      if (failed.has_value()) {
        results.emplace_back(std::move(batch[i].done), *failed);
        ++i;
        continue;
      }
      Status status;
      size_t end = i + 1;
      if (batch[i].kind == Write::Kind::kAppend) {
        // Consecutive appends continuing each other: one synced write for all of them.
        std::vector<LogRecord> records = std::move(batch[i].records);
        while (end < batch.size() && batch[end].kind == Write::Kind::kAppend && !records.empty() &&
               batch[end].first_index == records.back().index + 1) {
          for (LogRecord& record : batch[end].records) records.push_back(std::move(record));
          ++end;
        }
        status = WriteAppends(records);
      } else if (batch[i].kind == Write::Kind::kTruncate) {
        status = store_.TruncateSuffix(batch[i].first_index);
      } else {
        status = WriteSnapshot(batch[i].snapshot, batch[i].trailing);
      }
      // A refused call (InvalidArgument, FailedPrecondition) wrote nothing; anything else might
      // have written part of it, and nobody can tell which part (group_commit.h).
      if (!status.ok() && status.code() != StatusCode::kInvalidArgument &&
          status.code() != StatusCode::kFailedPrecondition) {
        failed = Status::IoError("raft log storage failed earlier: " + status.ToString());
        std::lock_guard lock(mutex_);
        failed_ = failed;
      }
      for (size_t k = i; k < end; ++k) results.emplace_back(std::move(batch[k].done), status);
      i = end;
    }
    env_.Post([results = std::move(results)]() mutable {
      for (auto& [done, status] : results) done(status);
    });
  }
}

Status LogStoreRaftStorage::WriteAppends(std::vector<LogRecord>& records) {
  LB_CHECK(!records.empty());
  // libraft truncates a conflicting suffix itself before appending (replication.c), and that
  // truncation ran before this in queue order: the records continue the log.
  Status status = store_.Append(records);
  std::lock_guard lock(mutex_);
  if (status.ok()) {
    stats_.appended_entries += records.size();
    stats_.synced_batches += 1;
  }
  return status;
}

Status LogStoreRaftStorage::WriteSnapshot(const RaftSnapshot& snapshot, uint64_t trailing) {
  raftwire::InstallSnapshot proto;
  proto.set_last_index(snapshot.index);
  proto.set_last_term(snapshot.term);
  for (const RaftServer& server : snapshot.configuration) {
    raftwire::Server* out = proto.add_configuration();
    out->set_id(server.id);
    out->set_address(server.address);
    out->set_role(server.role);
  }
  proto.set_configuration_index(snapshot.configuration_index);
  proto.set_data(snapshot.data);
  // The snapshot first: a crash between the two leaves entries the snapshot covers, which
  // libraft skips on load; the other order could leave a log that starts after any snapshot.
  LB_RETURN_IF_ERROR(store_.PutMeta(kRaftSnapshotMeta, proto.SerializeAsString()));
  if (trailing == 0) {
    // An installed snapshot replaces the whole log, even one ending before it: libraft appends
    // the leader's entries after it next.
    return store_.ResetAfter(snapshot.index, snapshot.term);
  }
  if (snapshot.index > trailing) return store_.CompactPrefix(snapshot.index - trailing);
  return Status::Ok();
}

}  // namespace lifeboat::eventlog::raft
