#pragma once
// A simulated node's disk (issue #14): LevelDB's in-memory Env (helpers/memenv.h) under the
// fault-injection disk (fault_injection_env.h: a crash drops unsynced writes or tears the last
// pages, fsync fails, the disk fills up), under a thin Env that takes LevelDB's background thread
// away. Every store of the node opens on env(); the preallocated WAL's file layer is files().
//
// LevelDB's background thread is the trap: a real one would run compactions at a time the seed
// does not decide. So Schedule() only queues the work, and the world runs it (RunScheduled, an
// after-event hook of World) synchronously once the event whose storage call scheduled it has
// returned. Never inline: DBImpl calls Schedule with its mutex held and the work takes the same
// mutex.
//
// Why no storage call then waits forever for work that only runs after it returns:
//  * DBImpl schedules at most one background job at a time (background_compaction_scheduled_),
//    and the job reschedules itself while compactions remain; RunScheduled runs until the queue
//    is empty, so after every event no memtable waits to be flushed (imm_ is null) and level 0 is
//    back under its compaction trigger (4 files).
//  * MakeRoomForWrite waits (background_work_finished_signal_) only when the memtable is full
//    while imm_ is still set, or level 0 holds kL0_StopWritesTrigger (12) files. Starting from the
//    state above, a call reaches either only if it writes more than a whole memtable (two
//    switches) within one event. The log: one event is one group-commit batch, whose byte cap
//    SimNode sets to half the log's memtable. The state: one event is one projection pass (or
//    the catch-up at open), which writes the state of every event committed since the last one;
//    the state's 16 MiB memtable is more than a 10-minute simulation writes to the state in all
//    (the mailbox projection keeps metadata; bodies stay in the log); a run of many hours could
//    exceed it in the catch-up after a power cut, and would then hang, not pass. A background
//    error (the crashed disk) makes MakeRoomForWrite return the error instead of waiting.
//  * The level-0 slowdown sleeps 1 ms (SleepForMicroseconds) without waiting for anything: here
//    it returns at once.
//  * ~DBImpl waits for a scheduled job: stores are closed only between events or after
//    RunScheduled (SimNode does both).
// A store that broke this would hang the simulation, not pass silently.

#include <leveldb/env.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "eventlog/wal_file_system.h"
#include "simulator/fault_injection_env.h"
#include "simulator/world.h"

namespace lifeboat::simulator {

// In-place writes, trims and free space over a leveldb::Env that has no such calls (memenv): a
// write rewrites the whole file. Fine for the small spares a simulation uses.
class MemWalFileSystem : public eventlog::WalFileSystem {
 public:
  // `capacity_bytes`: the size of the disk holding `root`.
  MemWalFileSystem(leveldb::Env* files, std::string root, uint64_t capacity_bytes);
  leveldb::Status NewOverwriteFile(const std::string& name,
                                   std::unique_ptr<eventlog::OverwriteFile>* file) override;
  leveldb::Status TruncateFile(const std::string& name, uint64_t size) override;
  leveldb::Status FreeBytes(const std::string& directory, uint64_t* bytes) override;
  // Bytes of every file under the root.
  uint64_t UsedBytes() const;

 private:
  leveldb::Env* const files_;
  const std::string root_;
  const uint64_t capacity_bytes_;
};

class SimDisk {
 public:
  static constexpr uint64_t kCapacityBytes = 1ull << 30;

  // `root`: the directory every store of the node lives under ("/n1").
  SimDisk(World& world, std::string root, uint64_t capacity_bytes = kCapacityBytes);
  ~SimDisk();
  SimDisk(const SimDisk&) = delete;
  SimDisk& operator=(const SimDisk&) = delete;

  const std::string& root() const { return root_; }
  leveldb::Env* env();
  eventlog::WalFileSystem* files() { return &faults_; }
  FaultInjectionEnv& faults() { return faults_; }
  // Bytes of every file on the disk (what the disk reserve counts as the stores' size).
  uint64_t used_bytes() const { return memory_files_.UsedBytes(); }
  leveldb::Status SyncDirectory(const std::string& directory) {
    return faults_.SyncDirectory(directory);
  }

  // Runs the background work LevelDB scheduled, and what it schedules, until none is left.
  // Returns how many jobs ran.
  size_t RunScheduled();
  size_t scheduled() const { return scheduled_.size(); }
  // Background jobs run since construction (flushes and compactions).
  uint64_t jobs_run() const { return jobs_run_; }

 private:
  class SchedulingEnv;

  World& world_;
  const std::string root_;
  std::unique_ptr<leveldb::Env> memory_;
  MemWalFileSystem memory_files_;
  FaultInjectionEnv faults_;
  std::unique_ptr<SchedulingEnv> scheduling_;
  std::deque<std::function<void()>> scheduled_;
  uint64_t hook_id_ = 0;
  uint64_t jobs_run_ = 0;
};

}  // namespace lifeboat::simulator
