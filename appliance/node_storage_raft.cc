// NodeStorage on a cluster node (node_storage.h NodeClusterOptions): the Raft member on the node's
// log and the proposer in front of it.
#include <limits>

#include "appliance/node_storage.h"
#include "eventlog/raft/log_store_raft_storage.h"
#include "eventlog/raft/raft_node.h"
#include "eventlog/raft/raft_proposer.h"
#include "eventlog/raft/tcp_raft_transport.h"

namespace lifeboat {
namespace {

constexpr std::string_view kComponent = "raft";
// Closing the Raft member at shutdown: turns of posted work (storage callbacks) before giving up.
constexpr int kRaftCloseTurnsMax = 1000;

// The projections are the state machine, and they read committed entries from the log
// themselves (the projection worker follows the commit index): nothing to do per entry here.
// No snapshot is taken (the threshold is out of reach), so none is restored.
class LogFollowingMachine : public eventlog::raft::RaftStateMachine {
 public:
  void Apply(uint64_t, std::string_view) override {}
  std::string Snapshot() override { return ""; }
  void Restore(uint64_t, std::string_view) override {}
};

}  // namespace

Status NodeStorage::StartRaft() {
  const NodeClusterOptions& cluster = *options_.cluster;
  auto tls = env_.network().LoadClusterTls(cluster.tls);
  if (!tls.ok()) return tls.status();
  cluster_tls_ = std::move(tls).value();
  raft_storage_ = std::make_unique<eventlog::raft::LogStoreRaftStorage>(env_, *log_);
  eventlog::raft::TcpRaftTransportOptions transport_options;
  transport_options.listen_address = cluster.listen;
  transport_options.tls = cluster_tls_.get();
  auto transport = eventlog::raft::TcpRaftTransport::Listen(env_, transport_options);
  if (!transport.ok()) {
    return Status(transport.status().code(),
                  "cluster listen " + cluster.listen + ": " + transport.status().message());
  }
  raft_transport_ = std::move(transport).value();
  raft_machine_ = std::make_unique<LogFollowingMachine>();
  eventlog::raft::RaftNodeOptions node_options;
  node_options.id = cluster.node_id;
  node_options.address = cluster.listen;
  // The log keeps every entry until projection checkpoints exist (issue #13 item 2).
  node_options.snapshot_threshold = std::numeric_limits<unsigned>::max();
  raft_node_ = std::make_unique<eventlog::raft::RaftNode>(env_, *raft_storage_, *raft_transport_,
                                                          *raft_machine_, node_options);
  if (log_->last_index() == 0) {
    // A pristine log: this node founds the cluster with the configured members (every founding
    // member does the same with the same list; Raft keeps one configuration).
    LB_RETURN_IF_ERROR(raft_node_->Bootstrap(cluster.members));
    logger_.Info(kComponent, "bootstrapped the cluster configuration",
                 {{"members", static_cast<int64_t>(cluster.members.size())}});
  }
  LB_RETURN_IF_ERROR(raft_node_->Start());
  proposer_ =
      std::make_unique<eventlog::raft::RaftProposer>(env_, *raft_node_, options_.identity.node_id);
  logger_.Info(kComponent, "raft member started",
               {{"node_id", static_cast<int64_t>(cluster.node_id)},
                {"listen", raft_transport_->bound_address()}});
  return Status::Ok();
}

void NodeStorage::CloseRaft(const std::function<void()>& run_posted) {
  if (raft_node_ == nullptr) return;
  bool closed = false;
  raft_node_->Close([&closed] { closed = true; });
  // The storage drains on destruction: every write it holds finishes and posts its callback,
  // which the close waits for.
  for (int turn = 0; turn < kRaftCloseTurnsMax && !closed; ++turn) {
    run_posted();
    if (!closed && turn == 0) raft_storage_.reset();
  }
  if (!closed) {
    // The process is ending; libraft still holds requests. Leaking the member is safer than
    // freeing memory libraft may touch.
    logger_.Error(kComponent, "raft member did not close; left open at shutdown", {});
    (void)raft_node_.release();
    return;
  }
  raft_node_.reset();
}

std::string NodeStorage::cluster_address() const {
  return raft_transport_ != nullptr ? raft_transport_->bound_address() : "";
}

}  // namespace lifeboat
