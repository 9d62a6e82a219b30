#include "eventlog/raft/memory_raft_storage.h"

#include <string>
#include <utility>

namespace lifeboat::eventlog::raft {

MemoryRaftStorage::MemoryRaftStorage(Env& env, std::shared_ptr<MemoryRaftDisk> disk)
    : env_(env), disk_(std::move(disk)), executor_(env.NewSerialExecutor("lb-raft-memdisk")) {
  LB_CHECK(disk_ != nullptr);
}

MemoryRaftStorage::~MemoryRaftStorage() {
  executor_->Shutdown();
}

Result<RaftPersistentState> MemoryRaftStorage::Load() {
  std::lock_guard lock(disk_->mutex);
  return disk_->state;
}

Status MemoryRaftStorage::Bootstrap(const RaftEntry& first_entry) {
  std::lock_guard lock(disk_->mutex);
  RaftPersistentState& state = disk_->state;
  if (state.term != 0 || state.snapshot.has_value() || !state.entries.empty()) {
    return Status::FailedPrecondition("raft storage is not pristine: cannot bootstrap");
  }
  state.term = 1;
  state.voted_for = 0;
  state.start_index = 1;
  state.entries.push_back(first_entry);
  return Status::Ok();
}

Status MemoryRaftStorage::SetTermAndVote(uint64_t term, uint64_t voted_for) {
  std::lock_guard lock(disk_->mutex);
  if (disk_->cut) return Status::IoError("power cut");
  disk_->state.term = term;
  disk_->state.voted_for = voted_for;
  return Status::Ok();
}

void MemoryRaftStorage::Write(std::function<Status(RaftPersistentState&)> write, Done done) {
  executor_->Submit(
      [disk = disk_, &env = env_, write = std::move(write), done = std::move(done)]() mutable {
        Status status;
        {
          std::lock_guard lock(disk->mutex);
          status = disk->cut ? Status::IoError("power cut") : write(disk->state);
        }
        env.Post([done = std::move(done), status = std::move(status)] { done(status); });
      });
}

void MemoryRaftStorage::Append(uint64_t first_index, std::vector<RaftEntry> entries, Done done) {
  Write(
      [first_index, entries = std::move(entries)](RaftPersistentState& state) mutable {
        const uint64_t next = state.start_index + state.entries.size();
        if (first_index != next) {
          return Status::InvalidArgument("raft append at " + std::to_string(first_index) +
                                         ", the log continues at " + std::to_string(next));
        }
        for (RaftEntry& entry : entries) state.entries.push_back(std::move(entry));
        return Status::Ok();
      },
      std::move(done));
}

void MemoryRaftStorage::Truncate(uint64_t from_index, Done done) {
  Write(
      [from_index](RaftPersistentState& state) {
        if (from_index < state.start_index) {
          return Status::InvalidArgument("raft truncate from " + std::to_string(from_index) +
                                         ", below the log's start " +
                                         std::to_string(state.start_index));
        }
        const uint64_t keep = from_index - state.start_index;
        if (keep < state.entries.size()) state.entries.resize(keep);
        return Status::Ok();
      },
      std::move(done));
}

void MemoryRaftStorage::PutSnapshot(RaftSnapshot snapshot, uint64_t trailing, Done done) {
  Write(
      [snapshot = std::move(snapshot), trailing](RaftPersistentState& state) mutable {
        if (trailing == 0) {
          state.entries.clear();
          state.start_index = snapshot.index + 1;
        } else {
          // Keep entries (snapshot.index - trailing, ...]: a follower just behind the snapshot
          // still gets entries instead of the whole snapshot.
          const uint64_t first_kept = snapshot.index > trailing ? snapshot.index - trailing + 1 : 1;
          if (first_kept > state.start_index) {
            const uint64_t drop =
                std::min<uint64_t>(first_kept - state.start_index, state.entries.size());
            state.entries.erase(state.entries.begin(),
                                state.entries.begin() + static_cast<ptrdiff_t>(drop));
            state.start_index += drop;
          }
        }
        state.snapshot = std::move(snapshot);
        return Status::Ok();
      },
      std::move(done));
}

void MemoryRaftStorage::GetSnapshot(SnapshotDone done) {
  executor_->Submit([disk = disk_, &env = env_, done = std::move(done)]() mutable {
    std::optional<RaftSnapshot> snapshot;
    {
      std::lock_guard lock(disk->mutex);
      snapshot = disk->state.snapshot;
    }
    env.Post([done = std::move(done), snapshot = std::move(snapshot)]() mutable {
      if (!snapshot.has_value()) {
        done(Status::NotFound("no raft snapshot"));
      } else {
        done(std::move(*snapshot));
      }
    });
  });
}

}  // namespace lifeboat::eventlog::raft
