#pragma once
// Our implementation of libraft's struct raft_io (raft.h, libraft 0.15, io version 1): the
// consensus core reaches time, randomness, the tick timer, the network and the disk only through
// it, and it reaches them only through our own interfaces: Env (appliance/env/env.h), a
// RaftTransport (raft_transport.h) and a RaftStorage (raft_storage.h). So one adapter serves
// production (TCP + LevelDB) and the simulator (its network and disk), DESIGN.md "Replication".
//
// The mapping:
//   time       Env::MonotonicNow in milliseconds (libraft only takes differences)
//   random     Env::RandomU64, uniform in [min, max)
//   start      the tick: an Env timer every `msecs`, re-armed before each tick
//   load / bootstrap / set_term / set_vote   synchronous RaftStorage calls (libraft expects them
//              done when they return: their raft.h signatures have no callback)
//   append / truncate / snapshot_put / snapshot_get   RaftStorage, in call order; append and
//              truncate get their index from a counter we keep (raft_io.append is not told the
//              index: it is the one after the last appended or truncated-to)
//   send       encoded at once (libraft's buffers are only borrowed until the callback), handed
//              to the transport; the callback is posted
// Every callback runs later on the loop thread (Env::Post), never inside the call that started it.
//
// Close: libraft's close callback frees the in-memory log (raft.c ioCloseCb, logClose), and the
// callbacks of pending appends and sends still touch that log (replication.c appendLeaderCb,
// sendAppendEntriesCb). So close stops the tick and the transport at once and posts the close
// callback only once every pending request's callback has run.
//
// recover (raft_recover, forcing a configuration after losing a quorum) is not implemented: it
// answers RAFT_INVALID (issue #13 item 4 owns cluster operations).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "appliance/env/env.h"
#include "eventlog/raft/raft_c.h"
#include "eventlog/raft/raft_storage.h"
#include "eventlog/raft/raft_transport.h"

namespace lifeboat::eventlog::raft {

// Counters since start, for tests and metrics.
struct RaftIoStats {
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t frames_rejected = 0;  // undecodable or addressed to another node
  uint64_t entries_appended = 0;
  uint64_t storage_errors = 0;
};

class RaftIo {
 public:
  // `env`, `storage` and `transport` must outlive the RaftIo.
  RaftIo(Env& env, RaftStorage& storage, RaftTransport& transport);
  // Requires that libraft never started on it or that its close callback ran.
  ~RaftIo();
  RaftIo(const RaftIo&) = delete;
  RaftIo& operator=(const RaftIo&) = delete;

  // What raft_init takes. Valid as long as this object.
  raft_io* io() { return &io_; }

  const RaftIoStats& stats() const { return stats_; }
  // True from raft_io.close until its callback ran.
  bool closing() const { return closing_; }

 private:
  static RaftIo& Self(raft_io* io) { return *static_cast<RaftIo*>(io->impl); }

  static int Init(raft_io* io, raft_id id, const char* address);
  static void Close(raft_io* io, raft_io_close_cb cb);
  static int Load(raft_io* io, raft_term* term, raft_id* voted_for, raft_snapshot** snapshot,
                  raft_index* start_index, raft_entry* entries[], size_t* n_entries);
  static int Start(raft_io* io, unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv);
  static int Bootstrap(raft_io* io, const raft_configuration* conf);
  static int Recover(raft_io* io, const raft_configuration* conf);
  static int SetTerm(raft_io* io, raft_term term);
  static int SetVote(raft_io* io, raft_id server_id);
  static int Send(raft_io* io, raft_io_send* req, const raft_message* message, raft_io_send_cb cb);
  static int Append(raft_io* io, raft_io_append* req, const raft_entry entries[], unsigned n,
                    raft_io_append_cb cb);
  static int Truncate(raft_io* io, raft_index index);
  static int SnapshotPut(raft_io* io, unsigned trailing, raft_io_snapshot_put* req,
                         const raft_snapshot* snapshot, raft_io_snapshot_put_cb cb);
  static int SnapshotGet(raft_io* io, raft_io_snapshot_get* req, raft_io_snapshot_get_cb cb);
  static raft_time Time(raft_io* io);
  static int Random(raft_io* io, int min, int max);

  // Sets io_.errmsg from `status` and returns libraft's code for it.
  int Fail(const Status& status);
  void ArmTick();
  void OnFrame(std::string frame);
  // Wraps a request's completion: runs `complete` on the loop thread if this RaftIo still lives,
  // then counts the request done (and finishes a close waiting for it).
  std::function<void(Status)> Completion(std::function<void(Status)> complete);
  void RequestDone();

  Env& env_;
  RaftStorage& storage_;
  RaftTransport& transport_;
  raft_io io_{};

  uint64_t id_ = 0;
  std::string address_;
  unsigned tick_ms_ = 0;
  raft_io_tick_cb tick_ = nullptr;
  raft_io_recv_cb recv_ = nullptr;
  std::optional<TimerId> tick_timer_;
  bool started_ = false;

  uint64_t term_ = 0;        // as last stored
  uint64_t next_index_ = 1;  // index the next appended entry gets
  size_t pending_ = 0;       // requests whose libraft callback has not run
  bool closing_ = false;
  bool closed_ = false;
  raft_io_close_cb close_cb_ = nullptr;
  RaftIoStats stats_;
  // Closures queued in the Env after this object is gone check it first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeboat::eventlog::raft
