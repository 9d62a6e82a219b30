#include "eventlog/raft/raft_node.h"

#include <cstring>
#include <utility>

#include "eventlog/raft/raft_codec.h"

namespace lifeboat::eventlog::raft {
namespace {

constexpr size_t kSnapshotIndexBytes = 8;

unsigned Milliseconds(Duration duration) {
  return static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::milliseconds>(duration).count());
}

Status StatusFromRaft(int code, std::string_view what) {
  std::string message = std::string(what) + ": " + raft_strerror(code);
  switch (code) {
    case RAFT_NOTLEADER:
    case RAFT_LEADERSHIPLOST:
    case RAFT_NOCONNECTION:
    case RAFT_BUSY:
      return Status::Unavailable(std::move(message));
    case RAFT_SHUTDOWN:
    case RAFT_CANCELED:
      return Status::Aborted(std::move(message));
    case RAFT_TOOBIG:
    case RAFT_INVALID:
    case RAFT_MALFORMED:
      return Status::InvalidArgument(std::move(message));
    case RAFT_NOSPACE:
      return Status::ResourceExhausted(std::move(message));
    case RAFT_CORRUPT:
      return Status::Corruption(std::move(message));
    default:
      return Status::IoError(std::move(message));
  }
}

}  // namespace

// One raft_apply request in flight; freed by OnApplied.
struct RaftNode::Proposal {
  struct raft_apply request {};
  RaftNode* node = nullptr;
  ProposeDone done;
};

RaftNode::RaftNode(Env& env, RaftStorage& storage, RaftTransport& transport,
                   RaftStateMachine& machine, RaftNodeOptions options)
    : env_(env), machine_(machine), options_(std::move(options)), io_(env, storage, transport) {
  LB_CHECK(options_.id > 0);
  LB_CHECK(options_.heartbeat_timeout < options_.election_timeout);
  fsm_.version = 1;
  fsm_.data = this;
  fsm_.apply = &RaftNode::FsmApply;
  fsm_.snapshot = &RaftNode::FsmSnapshot;
  fsm_.restore = &RaftNode::FsmRestore;
  const int rv = raft_init(&raft_, io_.io(), &fsm_, options_.id, options_.address.c_str());
  // raft_init fails only on memory or a zero id, both programmer errors here.
  LB_CHECK(rv == 0);
  raft_.data = this;
  initialized_ = true;
  raft_set_election_timeout(&raft_, Milliseconds(options_.election_timeout));
  raft_set_heartbeat_timeout(&raft_, Milliseconds(options_.heartbeat_timeout));
  raft_set_snapshot_threshold(&raft_, options_.snapshot_threshold);
  raft_set_snapshot_trailing(&raft_, options_.snapshot_trailing);
  raft_set_pre_vote(&raft_, options_.pre_vote);
}

RaftNode::~RaftNode() {
  LB_CHECK(!closing_);
  *alive_ = false;
  if (!closed_ && initialized_) {
    // A started node must be closed first (the header says so); a never-started one closes at
    // once (RaftIo::Close), which frees what raft_init allocated.
    LB_CHECK(!started_);
    raft_close(&raft_, nullptr);
  }
}

Status RaftNode::Bootstrap(const std::vector<RaftServer>& servers) {
  LB_CHECK(!started_);
  raft_configuration configuration;
  LB_RETURN_IF_ERROR(ConfigurationFromServers(servers, configuration));
  const int rv = raft_bootstrap(&raft_, &configuration);
  raft_configuration_close(&configuration);
  if (rv != 0) return StatusFromRaft(rv, std::string("raft bootstrap: ") + raft_errmsg(&raft_));
  return Status::Ok();
}

Status RaftNode::Start() {
  LB_CHECK(!started_);
  const int rv = raft_start(&raft_);
  if (rv != 0) return StatusFromRaft(rv, std::string("raft start: ") + raft_errmsg(&raft_));
  started_ = true;
  return Status::Ok();
}

void RaftNode::Close(std::function<void()> done) {
  LB_CHECK(started_ && !closing_ && !closed_);
  closing_ = true;
  close_done_ = std::move(done);
  raft_close(&raft_, &RaftNode::OnClosed);
}

void RaftNode::OnClosed(struct raft* raft) {
  RaftNode& self = *static_cast<RaftNode*>(raft->data);
  self.closing_ = false;
  self.closed_ = true;
  if (self.close_done_) {
    // Last thing: the callback may destroy the node.
    std::function<void()> done = std::move(self.close_done_);
    done();
  }
}

void RaftNode::Propose(std::string command, ProposeDone done) {
  auto fail = [this, &done](Status status) {
    env_.Post([done = std::move(done), status = std::move(status)] { done(status); });
  };
  if (!started_ || closing_ || closed_) return fail(Status::Aborted("raft node closed"));
  if (command.size() > kRaftCommandBytesMax) {
    return fail(Status::InvalidArgument("raft command of " + std::to_string(command.size()) +
                                        " bytes exceeds " + std::to_string(kRaftCommandBytesMax)));
  }
  if (!is_leader()) {
    return fail(
        Status::Unavailable("not the leader (leader: " + std::to_string(leader_id()) + ")"));
  }
  raft_buffer buffer;
  buffer.len = command.size();
  buffer.base = raft_malloc(buffer.len > 0 ? buffer.len : 1);
  LB_CHECK(buffer.base != nullptr);
  if (!command.empty()) std::memcpy(buffer.base, command.data(), command.size());
  auto proposal = std::make_unique<Proposal>();
  proposal->node = this;
  proposal->done = std::move(done);
  proposal->request.data = proposal.get();
  const int rv = raft_apply(&raft_, &proposal->request, &buffer, 1, &RaftNode::OnApplied);
  if (rv != 0) {
    raft_free(buffer.base);
    ProposeDone failed = std::move(proposal->done);
    env_.Post([failed = std::move(failed), rv] { failed(StatusFromRaft(rv, "raft apply")); });
    return;
  }
  proposal.release();  // OnApplied frees it
}

void RaftNode::OnApplied(struct raft_apply* request, int status, void* /*result*/) {
  std::unique_ptr<Proposal> proposal(static_cast<Proposal*>(request->data));
  Result<uint64_t> outcome = status == 0 ? Result<uint64_t>(request->index)
                                         : Result<uint64_t>(StatusFromRaft(status, "raft apply"));
  // Posted: libraft calls this from inside its apply loop or its step-down, where a new
  // Propose from the callback must not run.
  proposal->node->env_.Post(
      [done = std::move(proposal->done), outcome = std::move(outcome)] { done(outcome); });
}

bool RaftNode::is_leader() const {
  return raft_state(const_cast<struct raft*>(&raft_)) == RAFT_LEADER;
}

uint64_t RaftNode::leader_id() const {
  raft_id id = 0;
  const char* address = nullptr;
  raft_leader(const_cast<struct raft*>(&raft_), &id, &address);
  return id;
}

int RaftNode::FsmApply(raft_fsm* fsm, const raft_buffer* buffer, void** result) {
  RaftNode& self = *static_cast<RaftNode*>(fsm->data);
  // libraft raises last_applied right after this returns (replication.c replicationApply).
  const uint64_t index = self.raft_.last_applied + 1;
  self.machine_.Apply(index, std::string_view(static_cast<const char*>(buffer->base), buffer->len));
  *result = nullptr;
  self.applied_unpublished_ = index;
  self.SchedulePublish();
  return 0;
}

void RaftNode::AddAppliedListener(AppliedListener listener) {
  LB_CHECK(listener != nullptr);
  applied_listeners_.push_back(std::move(listener));
}

void RaftNode::SchedulePublish() {
  if (publish_scheduled_ || applied_listeners_.empty()) return;
  publish_scheduled_ = true;
  // Posted twice: libraft calls OnApplied for an entry right after FsmApply returns, and
  // OnApplied posts that proposal's callback; posts run in order (env.h), so the second post
  // lands after every callback posted while this apply round ran.
  env_.Post([this, alive = alive_] {
    if (!*alive) return;
    env_.Post([this, alive = alive_] {
      if (!*alive) return;
      publish_scheduled_ = false;
      const uint64_t applied = applied_unpublished_;
      for (const AppliedListener& listener : applied_listeners_) listener(applied);
    });
  });
}

// A snapshot is the last applied index (8 bytes big-endian: libraft's restore does not pass it)
// and then the machine's bytes.
int RaftNode::FsmSnapshot(raft_fsm* fsm, raft_buffer* buffers[], unsigned* n_buffers) {
  RaftNode& self = *static_cast<RaftNode*>(fsm->data);
  const uint64_t index = self.raft_.last_applied;
  const std::string state = self.machine_.Snapshot();
  auto* buffer = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
  LB_CHECK(buffer != nullptr);
  buffer->len = kSnapshotIndexBytes + state.size();
  buffer->base = raft_malloc(buffer->len);
  LB_CHECK(buffer->base != nullptr);
  auto* bytes = static_cast<uint8_t*>(buffer->base);
  for (size_t i = 0; i < kSnapshotIndexBytes; ++i) {
    bytes[i] = static_cast<uint8_t>(index >> (8 * (kSnapshotIndexBytes - 1 - i)));
  }
  if (!state.empty()) std::memcpy(bytes + kSnapshotIndexBytes, state.data(), state.size());
  *buffers = buffer;  // libraft owns both (fsm version 1)
  *n_buffers = 1;
  return 0;
}

int RaftNode::FsmRestore(raft_fsm* fsm, raft_buffer* buffer) {
  RaftNode& self = *static_cast<RaftNode*>(fsm->data);
  if (buffer->len < kSnapshotIndexBytes) return RAFT_MALFORMED;
  const auto* bytes = static_cast<const uint8_t*>(buffer->base);
  uint64_t index = 0;
  for (size_t i = 0; i < kSnapshotIndexBytes; ++i) index = (index << 8) | bytes[i];
  self.machine_.Restore(index,
                        std::string_view(reinterpret_cast<const char*>(bytes) + kSnapshotIndexBytes,
                                         buffer->len - kSnapshotIndexBytes));
  raft_free(buffer->base);  // ours now (snapshot.c snapshotRestore)
  return 0;
}

}  // namespace lifeboat::eventlog::raft
