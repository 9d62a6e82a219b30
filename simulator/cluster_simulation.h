#pragma once
// One seeded run of a three-node Raft cluster (issue #14, #13): each node the real RaftNode on
// its own simulated disk (sim_raft_node.h), the SimRaftNetwork between them, mail clients that
// submit to any node, and faults from the seed, for `duration` of virtual time. Then the faults
// stop, the clients' queues must drain, the cluster must go quiet, and the power is cut on all
// three nodes at once before the last checks.
//
// The clients stand for SMTP senders at the proposer's level (the SMTP service is not yet wired
// to Raft: issue #13 item 3): a mail is one MailReceived proposed on the node a client picked;
// a 250 is the proposal's success; a follower answers 451 (it does not forward yet), a node that
// is down or does not answer within kReplyTimeout is a failed attempt, and the client retries on
// another node after a seeded pause, as an MTA would. A retry after an unanswered attempt may
// file the mail twice (at-least-once, counted as a documented duplicate).
//
// Checkers:
//   - election safety, after every event: never two leaders in one term;
//   - at each 250: the entry is in the log of a quorum of nodes (a node that is down counts as
//     unknown, never as holding it);
//   - once quiet, and again after the whole-cluster power cut: no acknowledged mail lost (in every
//     node's projection), logs are prefixes of one another (same index and term => same entry;
//     identical through the commit index), projections identical (applied index and state hash);
//   - liveness: after the faults stop, a leader and the clients' queues drained within bounds.
// "Sometimes" counters say whether a seed lost a leader, elected another, healed a partition,
// saw a crashed node catch up.

#include <cstdint>
#include <string>
#include <vector>

#include "appliance/env/env.h"

namespace lifeboat::simulator {

struct ClusterSimulationOptions {
  uint64_t seed = 1;
  Duration duration = std::chrono::minutes(10);
  Duration drain_bound = std::chrono::minutes(5);
  int clients = 3;
  Duration mail_interval_mean = std::chrono::seconds(4);
  bool random_faults = true;
  Duration fault_interval_mean = std::chrono::seconds(45);
  // Failing fsyncs and full disks among the random faults. Off by default: a failed append
  // (RAFT_IOERR to libraft's append callback) crashes libraft 0.15 inside the callback (SIGSEGV,
  // seed 276 with this on); until RaftIo handles a failing disk (issue #13 item 5: stop
  // acknowledging, step down), the swarm would only find that again.
  bool storage_faults = false;
  // Injected bugs the checkers must catch (the swarm test proves they do).
  bool follower_acknowledges_before_sync_for_tests = false;  // on every node
  bool projection_skips_an_event_for_tests = false;          // on node n2
};

struct ClusterSimulationReport {
  uint64_t seed = 0;
  double virtual_seconds = 0;
  uint64_t events = 0;
  uint64_t trace_hash = 0;
  // Mail.
  uint64_t mails_sent = 0;
  uint64_t mails_acked = 0;
  uint64_t mails_kept = 0;  // acked, and held by every node after the last power cut
  uint64_t mails_lost = 0;
  uint64_t duplicates_documented = 0;
  uint64_t refused_not_leader = 0;  // 451 from a follower
  uint64_t failed_attempts = 0;     // node down or no answer in time
  // Faults injected.
  uint64_t crashes = 0;
  uint64_t power_losses = 0;  // including the last, whole-cluster one (three nodes)
  uint64_t partitions = 0;    // a node cut from the others, or its links clogged
  uint64_t fsync_failure_periods = 0;
  uint64_t disk_full_periods = 0;
  uint64_t lossy_periods = 0;
  uint64_t raft_frames_lost = 0;
  uint64_t raft_frames_duplicated = 0;
  // Sometimes counters.
  uint64_t leaders_lost = 0;
  uint64_t leaders_elected = 0;  // a leader in a higher term after one was lost
  uint64_t partitions_healed = 0;
  uint64_t crashes_recovered = 0;  // a restarted node applied what was committed at its restart
  uint64_t terms = 0;              // the highest term seen
  bool drained = false;
  std::vector<std::string> violations;
  // Faults as injected ("312.4 s: crash n2 for 17 s"), printed with a failing run's report.
  std::vector<std::string> timeline;

  bool ok() const { return violations.empty(); }
  std::string ToText() const;
};

ClusterSimulationReport RunClusterSimulation(const ClusterSimulationOptions& options);

}  // namespace lifeboat::simulator
