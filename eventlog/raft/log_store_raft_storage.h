#pragma once
// RaftStorage on the node's log LevelDB (eventlog/log_store.h; DESIGN.md "Storage": entries keyed
// by big-endian index, term and vote, snapshot metadata, synced writes).
//
// Layout: each Raft entry is one LogStore record (index, term, payload = one byte of libraft
// entry type, then the entry's bytes). Term and vote are one meta value ("raft.term_vote": two
// big-endian uint64), so they change together in one synced write. The latest snapshot is one
// meta value ("raft.snapshot": a raftwire.InstallSnapshot, its `term` unused); the snapshot
// stream and projection checkpoints of issue #13 item 2 will move the data out of the meta.
//
// Threading: Append, Truncate and PutSnapshot are queued and run on this storage's own serial
// executor ("lb-raft-log"), never on the loop; each drain takes everything queued and writes
// consecutive appends with ONE synced LogStore::Append (group commit, as group_commit.h), then
// posts the callbacks in call order. Load, Bootstrap and SetTermAndVote are synchronous on the
// loop thread (libraft's raft_io has no callback for them: raft.h set_term/set_vote/load return
// int); SetTermAndVote is one synced LevelDB Put of a meta key (LogStore::PutMeta touches no
// state the executor's writes use: LevelDB orders the two writers), once per election or vote.
//
// Failure model (group_commit.h): the first write error makes the storage refuse every later
// write with IoError; recovery is a restart, which re-reads the log.
//
// An installed snapshot empties the log, which continues after the snapshot's index, also when
// that lies beyond the log's end (LogStore::ResetAfter).
//
// Ownership: `env` and `store` must outlive the storage; it is the store's only writer.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "appliance/env/env.h"
#include "eventlog/log_store.h"
#include "eventlog/raft/raft_storage.h"

namespace lifeboat::eventlog::raft {

inline constexpr std::string_view kRaftTermVoteMeta = "raft.term_vote";
inline constexpr std::string_view kRaftSnapshotMeta = "raft.snapshot";

struct LogStoreRaftStorageStats {
  uint64_t appended_entries = 0;
  uint64_t append_calls = 0;
  uint64_t synced_batches = 0;  // LogStore::Append calls: one fsync each
};

class LogStoreRaftStorage : public RaftStorage {
 public:
  LogStoreRaftStorage(Env& env, LogStore& store);
  // Drains: every write already called is done and its callback posted.
  ~LogStoreRaftStorage() override;

  Result<RaftPersistentState> Load() override;
  Status Bootstrap(const RaftEntry& first_entry) override;
  Status SetTermAndVote(uint64_t term, uint64_t voted_for) override;
  void Append(uint64_t first_index, std::vector<RaftEntry> entries, Done done) override;
  void Truncate(uint64_t from_index, Done done) override;
  void PutSnapshot(RaftSnapshot snapshot, uint64_t trailing, Done done) override;
  void GetSnapshot(SnapshotDone done) override;

  // Any thread.
  LogStoreRaftStorageStats stats() const;

  // THE INJECTED BUG of the simulator's swarm test (issue #14), never set in production: while
  // `when()` holds at an Append (the simulator asks "is this node a follower?"), the append is
  // acknowledged at once and its synced write is put off until another write needs the
  // executor or kHeldBytesMaxForTests are waiting: a follower that acknowledges before its own
  // fsync. A crash loses what was held. Loop thread, before the first Append.
  static constexpr size_t kHeldBytesMaxForTests = 64u << 10;
  void set_acknowledge_before_sync_for_tests(std::function<bool()> when) {
    acknowledge_before_sync_for_tests_ = std::move(when);
  }

 private:
  struct Write {
    enum class Kind { kAppend, kTruncate, kSnapshot } kind = Kind::kAppend;
    uint64_t first_index = 0;  // kAppend: index of records[0]; kTruncate: from
    std::vector<LogRecord> records;
    RaftSnapshot snapshot;
    uint64_t trailing = 0;
    Done done;
  };

  void Enqueue(Write write);
  // Executor: writes everything queued, in order.
  void Drain();
  Status WriteAppends(std::vector<LogRecord>& records);
  Status WriteSnapshot(const RaftSnapshot& snapshot, uint64_t trailing);
  Result<std::optional<RaftSnapshot>> ReadSnapshot() const;

  Env& env_;
  LogStore& store_;
  mutable std::mutex mutex_;
  std::deque<Write> queue_;         // guarded by mutex_
  bool draining_ = false;           // guarded by mutex_
  std::optional<Status> failed_;    // guarded by mutex_: the first write error
  LogStoreRaftStorageStats stats_;  // guarded by mutex_
  std::unique_ptr<SerialExecutor> executor_;
  std::function<bool()> acknowledge_before_sync_for_tests_;
  size_t held_bytes_ = 0;  // guarded by mutex_: acknowledged appends not yet submitted
};

}  // namespace lifeboat::eventlog::raft
