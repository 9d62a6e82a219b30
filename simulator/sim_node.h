#pragma once
// A simulated Lifeboat node (issue #14): the node's real storage (NodeStorage: log on its
// preallocated WAL, group commit, single-node proposer, projections and their worker, disk
// reserve) and the real SMTP service, on a SimEnv, a SimDisk and the SimNetwork, opened as
// Node::Open opens them (appliance/node.cc), without what a simulation does not exercise yet
// (admin API, directory sync, retention, disk ballast). With primaries configured it also runs the
// routing service: probes over the SimNetwork, and each mode change a RoutingChanged event.
//
// Faults on the process: Crash() (the process dies: every connection resets, nothing it had
// queued runs, writes that returned stay on the disk) and PowerLoss() (as Crash, and the disk
// forgets what was never synced). Start() again is the restart.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/env/status.h"
#include "appliance/log/logger.h"
#include "appliance/node_storage.h"
#include "appliance/routing_service.h"
#include "appliance/smtp/smtp_service.h"
#include "eventlog/log_store.h"
#include "eventlog/projection_runner.h"
#include "simulator/sim_disk.h"
#include "simulator/sim_network.h"
#include "simulator/world.h"

namespace lifeboat::simulator {

struct SimNodeOptions {
  std::string name = "n1";
  std::string host = "10.0.0.1";
  uint16_t smtp_port = 25;
  std::vector<std::string> domains = {"example.com"};
  // Mailboxes user0..user<n-1>@<first domain>, put in the directory at the first start.
  int mailboxes = 4;
  // New mail gets 452 4.3.1 below this much free disk (StorageGuard).
  uint64_t disk_reserve_bytes = 1u << 20;
  // Small memtables: flushes and compactions happen within a simulation (sim_disk.h says why
  // one event must still not write more than this).
  size_t log_write_buffer_bytes = 256u << 10;
  // The injected bug of the swarm test (group_commit.h): 250 before the fsync.
  bool acknowledge_before_sync_for_tests = false;
  // The primary mail systems the routing service probes ("host:port" on the SimNetwork), with
  // its thresholds ([routing] in the node config; config.h). Empty: no routing service.
  config::RoutingConfig routing;
};

class SimNode {
 public:
  // Small zero-filled WAL files: the in-memory file layer rewrites a whole file per write.
  static constexpr uint64_t kWalSpareBytes = 128u << 10;

  SimNode(World& world, SimNetwork& network, SimNodeOptions options);
  ~SimNode();
  SimNode(const SimNode&) = delete;
  SimNode& operator=(const SimNode&) = delete;

  // Opens the stores, restores and catches up the projections, starts the writer, the worker and
  // the SMTP listener. At the first start (empty log) also provisions the mailboxes, committed
  // and applied before it returns (runs the world meanwhile).
  Status Start();
  void Crash();
  // `torn`: a random page prefix of each unsynced tail survives (fault_injection_env.h).
  void PowerLoss(bool torn);
  bool running() const { return smtp_ != nullptr; }

  const SimNodeOptions& options() const { return options_; }
  std::string smtp_address() const;
  SimEnv& env() { return env_; }
  SimDisk& disk() { return disk_; }
  // The running node's storage.
  const eventlog::LogStore& log() const { return storage_->log(); }
  const eventlog::ProjectionRunner& runner() const { return storage_->runner(); }
  uint64_t commit_index() const;
  // The running node's routing table (the routing projection's view).
  const routing::RoutingTable& routing_table() const {
    return *storage_->projections().routing_table;
  }
  uint64_t starts() const { return starts_; }
  // Errors the projection worker stopped with while the disk was healthy (a finding).
  const std::vector<std::string>& worker_errors() const { return worker_errors_; }

 private:
  Status ProvisionMailboxes();
  // Destroys everything the process held, in Node::Shutdown's order, without running what it
  // posted (a dead process runs nothing more).
  void Teardown();

  World& world_;
  SimNetwork& network_;
  const SimNodeOptions options_;
  SimEnv env_;
  SimDisk disk_;
  // Warnings and errors of the storage (disk below its reserve, read-only opens) are counted,
  // not printed: a swarm would drown in them.
  Logger logger_;
  uint64_t log_lines_ = 0;
  std::unique_ptr<NodeStorage> storage_;
  std::unique_ptr<smtp_driver::SmtpService> smtp_;
  std::unique_ptr<RoutingService> routing_;
  uint64_t starts_ = 0;
  std::vector<std::string> worker_errors_;
};

}  // namespace lifeboat::simulator
