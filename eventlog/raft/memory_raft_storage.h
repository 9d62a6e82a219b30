#pragma once
// RaftStorage in memory, for tests and the simulator's first drills. The "disk" is a separate
// object the test keeps, so a node can be destroyed and a new one started on what it had
// written (a restart). Writes run as tasks on an Env serial executor, like the LevelDB storage's,
// so a ManualEnv test decides when they complete; a write is on the disk once its task ran.

#include <memory>
#include <mutex>

#include "appliance/env/env.h"
#include "eventlog/raft/raft_storage.h"

namespace lifeboat::eventlog::raft {

// What survives a node: shared between the storages a test opens on it, one at a time.
struct MemoryRaftDisk {
  std::mutex mutex;
  RaftPersistentState state;  // guarded by mutex
  // A power cut in progress: writes not yet done are lost (they fail with IoError and change
  // nothing). Guarded by mutex.
  bool cut = false;
};

class MemoryRaftStorage : public RaftStorage {
 public:
  // `env` must outlive the storage.
  MemoryRaftStorage(Env& env, std::shared_ptr<MemoryRaftDisk> disk);
  // Drains the executor: writes already called are on the disk afterwards, their callbacks posted.
  ~MemoryRaftStorage() override;

  Result<RaftPersistentState> Load() override;
  Status Bootstrap(const RaftEntry& first_entry) override;
  Status SetTermAndVote(uint64_t term, uint64_t voted_for) override;
  void Append(uint64_t first_index, std::vector<RaftEntry> entries, Done done) override;
  void Truncate(uint64_t from_index, Done done) override;
  void PutSnapshot(RaftSnapshot snapshot, uint64_t trailing, Done done) override;
  void GetSnapshot(SnapshotDone done) override;

 private:
  // Runs `write` on the executor against the disk, then posts `done` with its status.
  void Write(std::function<Status(RaftPersistentState&)> write, Done done);

  Env& env_;
  std::shared_ptr<MemoryRaftDisk> disk_;
  std::unique_ptr<SerialExecutor> executor_;
};

}  // namespace lifeboat::eventlog::raft
