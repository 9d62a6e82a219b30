#include "eventlog/raft/raft_io.h"

#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "eventlog/raft/raft_codec.h"

namespace lifeboat::eventlog::raft {
namespace {

// A snapshot as libraft takes it from load and snapshot_get: raft_malloc'd, one buffer
// (snapshot.c snapshotRestore asserts n_bufs == 1 and hands the buffer to the FSM).
raft_snapshot* NewRaftSnapshot(const RaftSnapshot& snapshot) {
  auto* out = static_cast<raft_snapshot*>(raft_calloc(1, sizeof(raft_snapshot)));
  LB_CHECK(out != nullptr);
  out->index = snapshot.index;
  out->term = snapshot.term;
  // The servers came from libraft, so they are valid: a failure here is a bug.
  LB_CHECK(ConfigurationFromServers(snapshot.configuration, out->configuration).ok());
  out->configuration_index = snapshot.configuration_index;
  out->bufs = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
  LB_CHECK(out->bufs != nullptr);
  out->n_bufs = 1;
  out->bufs[0].len = snapshot.data.size();
  out->bufs[0].base = raft_malloc(snapshot.data.size() > 0 ? snapshot.data.size() : 1);
  LB_CHECK(out->bufs[0].base != nullptr);
  if (!snapshot.data.empty()) {
    std::memcpy(out->bufs[0].base, snapshot.data.data(), snapshot.data.size());
  }
  return out;
}

}  // namespace

RaftIo::RaftIo(Env& env, RaftStorage& storage, RaftTransport& transport)
    : env_(env), storage_(storage), transport_(transport) {
  io_.version = 1;
  io_.impl = this;
  io_.init = &RaftIo::Init;
  io_.close = &RaftIo::Close;
  io_.load = &RaftIo::Load;
  io_.start = &RaftIo::Start;
  io_.bootstrap = &RaftIo::Bootstrap;
  io_.recover = &RaftIo::Recover;
  io_.set_term = &RaftIo::SetTerm;
  io_.set_vote = &RaftIo::SetVote;
  io_.send = &RaftIo::Send;
  io_.append = &RaftIo::Append;
  io_.truncate = &RaftIo::Truncate;
  io_.snapshot_put = &RaftIo::SnapshotPut;
  io_.snapshot_get = &RaftIo::SnapshotGet;
  io_.time = &RaftIo::Time;
  io_.random = &RaftIo::Random;
  io_.async_work = nullptr;  // io version 1: libraft uses it only for fsm version 3
}

RaftIo::~RaftIo() {
  LB_CHECK(!started_ || closed_);
  *alive_ = false;
  transport_.Stop();
  if (tick_timer_.has_value()) env_.CancelTimer(*tick_timer_);
}

int RaftIo::Fail(const Status& status) {
  ++stats_.storage_errors;
  std::snprintf(io_.errmsg, sizeof(io_.errmsg), "%s", status.ToString().c_str());
  return RaftErrorCode(status);
}

int RaftIo::Init(raft_io* io, raft_id id, const char* address) {
  RaftIo& self = Self(io);
  self.id_ = id;
  self.address_ = address;
  return 0;
}

void RaftIo::Close(raft_io* io, raft_io_close_cb cb) {
  RaftIo& self = Self(io);
  LB_CHECK(!self.closing_ && !self.closed_);
  if (!self.started_) {
    // Never started (a node destroyed before Start): nothing is pending or queued, and libraft
    // must free what raft_init took before the owner goes away.
    LB_CHECK(self.pending_ == 0);
    self.closed_ = true;
    if (cb != nullptr) cb(io);
    return;
  }
  self.closing_ = true;
  self.close_cb_ = cb;
  self.transport_.Stop();
  if (self.tick_timer_.has_value()) {
    self.env_.CancelTimer(*self.tick_timer_);
    self.tick_timer_.reset();
  }
  // A pending request finishes the close when its callback has run (RequestDone); with none,
  // the close callback is posted like every other completion.
  ++self.pending_;
  self.env_.Post([&self, alive = self.alive_] {
    if (*alive) self.RequestDone();
  });
}

void RaftIo::RequestDone() {
  LB_CHECK(pending_ > 0);
  --pending_;
  if (closing_ && pending_ == 0) {
    closing_ = false;
    closed_ = true;
    if (close_cb_ != nullptr) close_cb_(&io_);
  }
}

std::function<void(Status)> RaftIo::Completion(std::function<void(Status)> complete) {
  ++pending_;
  return [this, alive = alive_, complete = std::move(complete)](Status status) {
    if (!*alive) return;
    if (!status.ok()) Fail(status);
    complete(std::move(status));
    RequestDone();
  };
}

int RaftIo::Load(raft_io* io, raft_term* term, raft_id* voted_for, raft_snapshot** snapshot,
                 raft_index* start_index, raft_entry* entries[], size_t* n_entries) {
  RaftIo& self = Self(io);
  Result<RaftPersistentState> loaded = self.storage_.Load();
  if (!loaded.ok()) return self.Fail(loaded.status());
  const RaftPersistentState& state = loaded.value();
  *term = state.term;
  self.term_ = state.term;
  *voted_for = state.voted_for;
  *snapshot = state.snapshot.has_value() ? NewRaftSnapshot(*state.snapshot) : nullptr;
  *start_index = state.start_index;
  *n_entries = state.entries.size();
  *entries = nullptr;
  if (!state.entries.empty()) {
    // One batch for all, as libraft frees loaded entries (log.c destroyEntry, start.c).
    size_t total = 0;
    for (const RaftEntry& entry : state.entries) total += entry.data.size();
    auto* batch = static_cast<uint8_t*>(raft_malloc(total > 0 ? total : 1));
    auto* out = static_cast<raft_entry*>(raft_calloc(state.entries.size(), sizeof(raft_entry)));
    LB_CHECK(batch != nullptr && out != nullptr);
    uint8_t* cursor = batch;
    for (size_t i = 0; i < state.entries.size(); ++i) {
      const RaftEntry& entry = state.entries[i];
      out[i].term = entry.term;
      out[i].type = entry.type;
      out[i].buf.base = cursor;
      out[i].buf.len = entry.data.size();
      out[i].batch = batch;
      if (!entry.data.empty()) std::memcpy(cursor, entry.data.data(), entry.data.size());
      cursor += entry.data.size();
    }
    *entries = out;
  }
  self.next_index_ = state.start_index + state.entries.size();
  return 0;
}

int RaftIo::Start(raft_io* io, unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv) {
  RaftIo& self = Self(io);
  LB_CHECK(!self.started_ && msecs > 0);
  self.started_ = true;
  self.tick_ms_ = msecs;
  self.tick_ = tick;
  self.recv_ = recv;
  self.transport_.Start([&self](std::string frame) { self.OnFrame(std::move(frame)); });
  self.ArmTick();
  return 0;
}

void RaftIo::ArmTick() {
  tick_timer_ = env_.StartTimer(std::chrono::milliseconds(tick_ms_), [this] {
    tick_timer_.reset();
    if (closing_ || closed_) return;
    ArmTick();
    tick_(&io_);
  });
}

void RaftIo::OnFrame(std::string frame) {
  if (closing_ || closed_) return;
  DecodedRaftMessage decoded;
  if (!DecodeRaftFrame(frame, decoded).ok() || decoded.to_id != id_) {
    decoded.Release();
    ++stats_.frames_rejected;
    return;
  }
  ++stats_.frames_received;
  // libraft takes over what the message owns (recv.c recvCb).
  recv_(&io_, &decoded.message);
}

int RaftIo::Bootstrap(raft_io* io, const raft_configuration* conf) {
  RaftIo& self = Self(io);
  raft_buffer buffer{};
  // libraft 0.15 leaves the padding bytes of an encoded configuration uninitialized (byte.h
  // bytePutString pads strings to 8 bytes without writing the pad): the founding members stored
  // different bytes for the same entry at index 1, which the simulator's log checker found when
  // the heap held old data. So the encoding gets a heap that zeroes what it hands out (stdlib
  // memory: the default heap frees it).
  raft_heap zeroing{};
  zeroing.malloc = [](void*, size_t size) { return std::calloc(1, size); };
  zeroing.free = [](void*, void* ptr) { std::free(ptr); };
  zeroing.calloc = [](void*, size_t count, size_t size) { return std::calloc(count, size); };
  zeroing.realloc = [](void*, void* ptr, size_t size) { return std::realloc(ptr, size); };
  zeroing.aligned_alloc = [](void*, size_t alignment, size_t size) {
    return std::aligned_alloc(alignment, size);
  };
  zeroing.aligned_free = [](void*, size_t, void* ptr) { std::free(ptr); };
  raft_heap_set(&zeroing);
  const int rv = raft_configuration_encode(conf, &buffer);
  raft_heap_set_default();
  if (rv != 0) return rv;
  RaftEntry entry;
  entry.term = 1;
  entry.type = RAFT_CHANGE;
  entry.data.assign(static_cast<const char*>(buffer.base), buffer.len);
  raft_free(buffer.base);
  Status status = self.storage_.Bootstrap(entry);
  if (status.code() == StatusCode::kFailedPrecondition) {
    self.Fail(status);
    return RAFT_CANTBOOTSTRAP;
  }
  if (!status.ok()) return self.Fail(status);
  self.term_ = 1;
  self.next_index_ = 2;
  return 0;
}

int RaftIo::Recover(raft_io* io, const raft_configuration* /*conf*/) {
  return Self(io).Fail(Status::InvalidArgument("raft recover is not supported by this io"));
}

int RaftIo::SetTerm(raft_io* io, raft_term term) {
  RaftIo& self = Self(io);
  // A new term has no vote yet (raft.h: set_term resets the vote, as uv and the fixture do).
  Status status = self.storage_.SetTermAndVote(term, 0);
  if (!status.ok()) return self.Fail(status);
  self.term_ = term;
  return 0;
}

int RaftIo::SetVote(raft_io* io, raft_id server_id) {
  RaftIo& self = Self(io);
  Status status = self.storage_.SetTermAndVote(self.term_, server_id);
  return status.ok() ? 0 : self.Fail(status);
}

int RaftIo::Send(raft_io* io, raft_io_send* req, const raft_message* message, raft_io_send_cb cb) {
  RaftIo& self = Self(io);
  req->cb = cb;
  Status status = Status::Unavailable("raft peer unreachable");
  if (self.transport_.Reachable(message->server_id)) {
    // Encoded now: libraft lends the message's buffers only until the callback.
    std::string frame = EncodeRaftFrame(self.id_, self.address_, *message);
    const char* to_address = message->server_address != nullptr ? message->server_address : "";
    status = self.transport_.Send(message->server_id, to_address, std::move(frame));
  }
  if (status.ok()) ++self.stats_.frames_sent;
  const int code = status.ok() ? 0 : RAFT_NOCONNECTION;
  ++self.pending_;
  self.env_.Post([&self, alive = self.alive_, req, code] {
    if (!*alive) return;
    if (req->cb != nullptr) req->cb(req, code);
    self.RequestDone();
  });
  return 0;
}

int RaftIo::Append(raft_io* io, raft_io_append* req, const raft_entry entries[], unsigned n,
                   raft_io_append_cb cb) {
  RaftIo& self = Self(io);
  LB_CHECK(n > 0);
  req->cb = cb;
  std::vector<RaftEntry> copies;
  copies.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    copies.push_back(
        RaftEntry{entries[i].term, entries[i].type,
                  std::string(static_cast<const char*>(entries[i].buf.base), entries[i].buf.len)});
  }
  const uint64_t first_index = self.next_index_;
  self.next_index_ += n;
  self.stats_.entries_appended += n;
  self.storage_.Append(first_index, std::move(copies), self.Completion([req](Status status) {
    if (req->cb != nullptr) req->cb(req, RaftErrorCode(status));
  }));
  return 0;
}

int RaftIo::Truncate(raft_io* io, raft_index index) {
  RaftIo& self = Self(io);
  LB_CHECK(index >= 1 && index <= self.next_index_);
  self.next_index_ = index;
  // No callback in raft.h: a failure shows in the next append, which the storage then refuses
  // (its log no longer continues where the append starts) and libraft sees as an I/O error.
  self.storage_.Truncate(index, self.Completion([](Status) {}));
  return 0;
}

int RaftIo::SnapshotPut(raft_io* io, unsigned trailing, raft_io_snapshot_put* req,
                        const raft_snapshot* snapshot, raft_io_snapshot_put_cb cb) {
  RaftIo& self = Self(io);
  req->cb = cb;
  RaftSnapshot copy;
  copy.index = snapshot->index;
  copy.term = snapshot->term;
  copy.configuration = ServersFromConfiguration(snapshot->configuration);
  copy.configuration_index = snapshot->configuration_index;
  for (unsigned i = 0; i < snapshot->n_bufs; ++i) {
    copy.data.append(static_cast<const char*>(snapshot->bufs[i].base), snapshot->bufs[i].len);
  }
  // An installed snapshot (trailing 0) replaces the whole log: the next entry follows it.
  if (trailing == 0) self.next_index_ = snapshot->index + 1;
  self.storage_.PutSnapshot(std::move(copy), trailing, self.Completion([req](Status status) {
    if (req->cb != nullptr) req->cb(req, RaftErrorCode(status));
  }));
  return 0;
}

int RaftIo::SnapshotGet(raft_io* io, raft_io_snapshot_get* req, raft_io_snapshot_get_cb cb) {
  RaftIo& self = Self(io);
  req->cb = cb;
  ++self.pending_;
  self.storage_.GetSnapshot([&self, alive = self.alive_, req](Result<RaftSnapshot> snapshot) {
    if (!*alive) return;
    if (snapshot.ok()) {
      req->cb(req, NewRaftSnapshot(snapshot.value()), 0);
    } else {
      req->cb(req, nullptr, self.Fail(snapshot.status()));
    }
    self.RequestDone();
  });
  return 0;
}

raft_time RaftIo::Time(raft_io* io) {
  const MonoTime now = Self(io).env_.MonotonicNow();
  return static_cast<raft_time>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

int RaftIo::Random(raft_io* io, int min, int max) {
  if (max <= min) return min;
  const uint64_t span = static_cast<uint64_t>(max - min);
  return min + static_cast<int>(Self(io).env_.RandomU64() % span);
}

}  // namespace lifeboat::eventlog::raft
