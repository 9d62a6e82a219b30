#pragma once
// One member of a Raft cluster: libraft's struct raft over our RaftIo (raft_io.h), with a state
// machine of our own behind libraft's struct raft_fsm. Committed command entries reach
// RaftStateMachine::Apply in index order on every node (later: the projection runner, issue #13
// item 2). Propose() answers once the entry is committed and applied on this node (the leader).
//
// Lifecycle: construct; Bootstrap() once on a pristine storage of each founding member (the same
// servers on all); Start(); ... Close(done) and wait for `done` (libraft frees its memory
// asynchronously: raft_close) before destroying. A node's storage and transport outlive it; a
// new RaftNode on the same storage is a restart.
//
// Threading: loop thread only. Every callback runs on the loop thread, never inside the call that
// started it.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "eventlog/raft/raft_c.h"
#include "eventlog/raft/raft_io.h"
#include "eventlog/raft/raft_storage.h"
#include "eventlog/raft/raft_transport.h"

namespace lifeboat::eventlog::raft {

// Limits and defaults, units last (STYLE.md rule 8). Election: the issue asks a new leader within
// about a second; libraft randomizes the timeout between 1x and 2x.
inline constexpr Duration kRaftElectionTimeoutDefault = std::chrono::milliseconds(500);
inline constexpr Duration kRaftHeartbeatTimeoutDefault = std::chrono::milliseconds(50);
inline constexpr size_t kRaftCommandBytesMax = 64u << 20;  // one event: log_store.h's bound

class RaftStateMachine {
 public:
  virtual ~RaftStateMachine() = default;
  // A committed command, in index order, exactly once per index per state (a restored snapshot
  // replaces everything up to its index).
  virtual void Apply(uint64_t index, std::string_view command) = 0;
  // The state through the last applied index.
  virtual std::string Snapshot() = 0;
  // Replaces the state with `snapshot`, taken when `index` was the last applied.
  virtual void Restore(uint64_t index, std::string_view snapshot) = 0;
};

struct RaftNodeOptions {
  uint64_t id = 0;  // > 0
  std::string address;
  Duration election_timeout = kRaftElectionTimeoutDefault;
  Duration heartbeat_timeout = kRaftHeartbeatTimeoutDefault;
  unsigned snapshot_threshold = 1024;  // entries applied between snapshots (libraft's default)
  unsigned snapshot_trailing = 128;    // entries kept behind a snapshot (libraft's default)
  // Pre-vote (Ongaro 2014 section 9.6): a node back from a partition does not depose a
  // working leader by bumping the term.
  bool pre_vote = true;
};

class RaftNode {
 public:
  // Runs on the loop thread, exactly once: the entry's index once it is committed and applied
  // here, or Unavailable (not leader; or leadership lost while in flight, when the entry may
  // still commit later: at-least-once, as log_store.h's Append), InvalidArgument (too large),
  // IoError (this node's storage failed), Aborted (closed).
  using ProposeDone = std::function<void(Result<uint64_t> index)>;

  // `env`, `storage`, `transport` and `machine` must outlive the node.
  RaftNode(Env& env, RaftStorage& storage, RaftTransport& transport, RaftStateMachine& machine,
           RaftNodeOptions options);
  // Requires Close's callback to have run if Start() succeeded.
  ~RaftNode();
  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;

  // Before Start(), on a pristine storage: the founding configuration.
  Status Bootstrap(const std::vector<RaftServer>& servers);
  // Loads the storage and starts ticking and receiving.
  Status Start();
  // Stops; `done` runs once libraft released everything (then the node may be destroyed).
  void Close(std::function<void()> done);

  void Propose(std::string command, ProposeDone done);

  // Runs on the loop thread after the applied index advanced (committed entries reached the
  // state machine), after the Propose callbacks of the entries it covers. Loop thread.
  using AppliedListener = std::function<void(uint64_t applied_index)>;
  void AddAppliedListener(AppliedListener listener);

  bool is_leader() const;
  // 0 when none is known.
  uint64_t leader_id() const;
  uint64_t term() const { return raft_.current_term; }
  uint64_t commit_index() const { return raft_.commit_index; }
  uint64_t last_applied() const { return raft_.last_applied; }
  uint64_t id() const { return options_.id; }
  const RaftIoStats& io_stats() const { return io_.stats(); }

 private:
  struct Proposal;
  static int FsmApply(raft_fsm* fsm, const raft_buffer* buffer, void** result);
  static int FsmSnapshot(raft_fsm* fsm, raft_buffer* buffers[], unsigned* n_buffers);
  static int FsmRestore(raft_fsm* fsm, raft_buffer* buffer);
  static void OnApplied(struct raft_apply* request, int status, void* result);
  static void OnClosed(struct raft* raft);
  void SchedulePublish();

  Env& env_;
  RaftStateMachine& machine_;
  const RaftNodeOptions options_;
  RaftIo io_;
  raft_fsm fsm_{};
  struct raft raft_ {};
  bool initialized_ = false;
  bool started_ = false;
  bool closing_ = false;
  bool closed_ = false;
  std::function<void()> close_done_;
  std::vector<AppliedListener> applied_listeners_;
  uint64_t applied_unpublished_ = 0;  // the last index applied, not yet told to the listeners
  bool publish_scheduled_ = false;
  // Closures queued in the Env after the node is gone check it first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeboat::eventlog::raft
