#pragma once
// What a Raft node keeps on disk, behind an interface of our own so that production (LevelDB:
// log_store_raft_storage.h), tests (memory_raft_storage.h) and the simulator can each provide it
// (DESIGN.md "Replication"). RaftIo (raft_io.h) maps libraft's struct raft_io onto it.
//
// Durability (Ongaro 2014, figure 3.1: "updated on stable storage before responding to RPCs"):
// SetTermAndVote is durable when it returns; an Append, Truncate or PutSnapshot is durable when
// its callback says OK. Ordering: Append, Truncate and PutSnapshot take effect in the order they
// were called (libraft truncates a conflicting suffix and appends the leader's entries right
// after, without waiting: raft.h struct raft_io, `truncate` has no callback).
//
// Threading: every method is called on the loop thread; every callback runs on the loop thread,
// posted (Env::Post), never from inside the call that started it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "appliance/env/status.h"

namespace lifeboat::eventlog::raft {

// One log entry as libraft sees it (struct raft_entry without the memory bookkeeping).
struct RaftEntry {
  uint64_t term = 0;
  uint16_t type = 0;  // RAFT_COMMAND, RAFT_BARRIER or RAFT_CHANGE
  std::string data;

  bool operator==(const RaftEntry&) const = default;
};

// A member of the cluster configuration (struct raft_server).
struct RaftServer {
  uint64_t id = 0;
  std::string address;
  int role = 0;  // RAFT_STANDBY, RAFT_VOTER or RAFT_SPARE

  bool operator==(const RaftServer&) const = default;
};

// A snapshot of the state machine and the configuration it was taken under (struct
// raft_snapshot, with its buffers joined into one).
struct RaftSnapshot {
  uint64_t index = 0;
  uint64_t term = 0;
  std::vector<RaftServer> configuration;
  uint64_t configuration_index = 0;
  std::string data;
};

// What a node finds on disk when it starts (raft_io.load's out-parameters).
struct RaftPersistentState {
  uint64_t term = 0;
  uint64_t voted_for = 0;
  std::optional<RaftSnapshot> snapshot;
  uint64_t start_index = 1;  // index of entries[0]
  std::vector<RaftEntry> entries;
};

class RaftStorage {
 public:
  using Done = std::function<void(Status)>;
  using SnapshotDone = std::function<void(Result<RaftSnapshot>)>;

  virtual ~RaftStorage() = default;

  // Synchronous: the state as of the last durable write.
  virtual Result<RaftPersistentState> Load() = 0;
  // Synchronous and durable: a pristine store gets term 1, no vote and `first_entry` at index 1
  // (libraft's bootstrap configuration entry). FailedPrecondition when the store is not pristine.
  virtual Status Bootstrap(const RaftEntry& first_entry) = 0;
  // Synchronous and durable (libraft waits for neither: raft.h set_term/set_vote return int).
  virtual Status SetTermAndVote(uint64_t term, uint64_t voted_for) = 0;

  // Asynchronous, in call order (see above). `first_index` is the index of entries[0].
  virtual void Append(uint64_t first_index, std::vector<RaftEntry> entries, Done done) = 0;
  // Removes entries with index >= from_index.
  virtual void Truncate(uint64_t from_index, Done done) = 0;
  // Stores `snapshot` as the latest and drops the entries it covers, keeping the last `trailing`
  // of them; trailing == 0 (an installed snapshot) empties the log, which continues after
  // snapshot.index.
  virtual void PutSnapshot(RaftSnapshot snapshot, uint64_t trailing, Done done) = 0;
  // The latest snapshot; NotFound when none.
  virtual void GetSnapshot(SnapshotDone done) = 0;
};

}  // namespace lifeboat::eventlog::raft
