#include "simulator/cluster_simulation.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "eventlog/events.pb.h"
#include "eventlog/raft/raft_c.h"
#include "simulator/sim_network.h"
#include "simulator/sim_raft_network.h"
#include "simulator/sim_raft_node.h"
#include "simulator/world.h"

namespace lifeboat::simulator {
namespace {

constexpr size_t kNodes = 3;
constexpr size_t kQuorum = kNodes / 2 + 1;
// A client gives an attempt this long before it counts it failed (an MTA's reply timeout is
// minutes, RFC 5321 section 4.5.3.2; a short one makes more unanswered attempts, hence more
// duplicates for the checkers to account for).
constexpr Duration kReplyTimeout = std::chrono::seconds(10);
constexpr Duration kRetryAfterMin = std::chrono::milliseconds(200);
constexpr Duration kRetryAfterMax = std::chrono::seconds(3);
constexpr Duration kFaultMin = std::chrono::seconds(1);
constexpr Duration kFaultMax = std::chrono::seconds(60);
constexpr Duration kFaultEndBound = std::chrono::minutes(2);
// Liveness bounds once the faults stopped: a leader, then every node applied a new entry.
constexpr Duration kLeaderBound = std::chrono::seconds(30);
constexpr Duration kQuietBound = std::chrono::seconds(60);
// The Raft network's lossy periods.
constexpr uint32_t kLossyLossPerMille = 50;
constexpr uint32_t kLossyDuplicatePerMille = 50;
constexpr Duration kLossyDelayMax = std::chrono::milliseconds(50);

enum class Kind { kCrash, kPowerLoss, kPartition, kClog, kFsyncFailure, kDiskFull, kLossy };

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kCrash:
      return "crash";
    case Kind::kPowerLoss:
      return "power_loss";
    case Kind::kPartition:
      return "partition";
    case Kind::kClog:
      return "clog";
    case Kind::kFsyncFailure:
      return "fsync_failure";
    case Kind::kDiskFull:
      return "disk_full";
    case Kind::kLossy:
      return "lossy_network";
  }
  return "unknown";
}

std::string Host(size_t node) {
  return "10.0.0." + std::to_string(node + 1);
}

struct Mail {
  std::string rcpt_to;
  std::string raw;
  uint32_t attempts = 0;  // proposals handed to a running node (each may commit)
  bool acked = false;
};

struct Client {
  std::string host;
  std::deque<std::string> queue;  // markers, in order
  bool busy = false;
  size_t target = 0;         // the node it submits to
  uint64_t waiting_for = 0;  // the attempt waiting for an answer; 0: none
  uint64_t attempts = 0;
};

class Run {
 public:
  explicit Run(const ClusterSimulationOptions& options)
      : options_(options), world_(options.seed), network_(world_), raft_network_(world_, network_) {
    report_.seed = options.seed;
    std::vector<eventlog::raft::RaftServer> servers;
    for (size_t i = 0; i < kNodes; ++i) {
      servers.push_back(eventlog::raft::RaftServer{i + 1, Host(i), RAFT_VOTER});
    }
    for (size_t i = 0; i < kNodes; ++i) {
      SimRaftNodeOptions node;
      node.id = i + 1;
      node.name = "n" + std::to_string(i + 1);
      node.host = Host(i);
      node.servers = servers;
      node.follower_acknowledges_before_sync_for_tests =
          options.follower_acknowledges_before_sync_for_tests;
      node.projection_skips_an_event_for_tests =
          options.projection_skips_an_event_for_tests && i == 1;
      nodes_.push_back(std::make_unique<SimRaftNode>(world_, network_, raft_network_, node));
    }
    recover_target_.assign(kNodes, 0);
    // The seed's network: its own delays, a little loss and duplication all along.
    SimRaftNetwork::Faults& faults = raft_network_.faults();
    faults.delay_max = std::chrono::milliseconds(1 + world_.random().Below(10));
    faults.loss_per_mille = static_cast<uint32_t>(world_.random().Below(11));
    faults.duplicate_per_mille = static_cast<uint32_t>(world_.random().Below(11));
    base_faults_ = faults;
    hook_ = world_.AddAfterEventHook([this] { Observe(); });
  }

  ~Run() {
    finished_ = true;  // what the run scheduled does nothing from here
    world_.RemoveAfterEventHook(hook_);
    for (auto& node : nodes_) node.reset();
  }

  ClusterSimulationReport Go() {
    for (size_t i = 0; i < kNodes; ++i) {
      Status started = nodes_[i]->Start();
      if (!started.ok()) {
        Violation("first start of n" + std::to_string(i + 1) + " failed: " + started.ToString());
        return Finish();
      }
    }
    for (int c = 0; c < options_.clients; ++c) {
      Client client;
      client.host = "192.0.2." + std::to_string(c + 1);
      client.target = world_.random().Below(kNodes);
      clients_.push_back(std::move(client));
      ScheduleMail(static_cast<size_t>(c));
    }
    if (options_.random_faults) ScheduleFault();
    world_.RunFor(options_.duration);
    if (!world_.RunUntil([&] { return faults_active_ == 0; }, kFaultEndBound)) {
      Violation("a fault did not end");
    }
    report_.drained = world_.RunUntil(
        [&] {
          for (const Client& client : clients_) {
            if (!client.queue.empty()) return false;
          }
          return true;
        },
        options_.drain_bound);
    if (!report_.drained) {
      size_t queued = 0;
      for (const Client& client : clients_) queued += client.queue.size();
      Violation("liveness: " + std::to_string(queued) +
                " mails still queued after the drain bound");
    }
    if (Quiet("once quiet")) Check("once quiet", /*final=*/false);
    // The whole cluster loses power at once: what every 250 promised must survive it.
    for (auto& node : nodes_) {
      if (node->running()) node->PowerLoss(world_.random().OneIn(2));
      ++report_.power_losses;
    }
    for (size_t i = 0; i < kNodes; ++i) {
      Status started = nodes_[i]->Start();
      if (!started.ok()) {
        Violation("restart of n" + std::to_string(i + 1) + " after the whole-cluster power cut " +
                  "failed: " + started.ToString());
        return Finish();
      }
    }
    if (Quiet("after the whole-cluster power cut")) {
      Check("after the whole-cluster power cut", /*final=*/true);
    }
    return Finish();
  }

 private:
  void Violation(std::string what) {
    if (report_.violations.size() < 100) report_.violations.push_back(std::move(what));
  }

  Duration Between(Duration low, Duration high) {
    return low + Duration(world_.random().Below((high - low).count() + 1));
  }

  // Runs `event` after `after` unless the run finished.
  void Later(Duration after, std::string_view label, std::function<void()> event) {
    world_.Schedule(after, label, [this, event = std::move(event)] {
      if (!finished_) event();
    });
  }

  SimRaftNode* Leader() {
    SimRaftNode* leader = nullptr;
    for (auto& node : nodes_) {
      if (!node->running() || !node->raft().is_leader()) continue;
      if (leader == nullptr || node->raft().term() > leader->raft().term()) leader = node.get();
    }
    return leader;
  }

  // After every event: election safety, and the leader counters.
  void Observe() {
    bool leader_now = false;
    for (auto& node : nodes_) {
      if (!node->running() || !node->raft().is_leader()) continue;
      leader_now = true;
      const uint64_t term = node->raft().term();
      const uint64_t id = node->options().id;
      report_.terms = std::max(report_.terms, term);
      auto [it, inserted] = leaders_.emplace(term, id);
      if (!inserted && it->second != id && double_leader_terms_.insert(term).second) {
        Violation("two leaders in term " + std::to_string(term) + ": n" +
                  std::to_string(it->second) + " and n" + std::to_string(id));
      }
    }
    if (leader_now) {
      had_leader_ = true;
      if (leader_lost_) {
        leader_lost_ = false;
        ++report_.leaders_elected;
      }
    } else if (had_leader_ && !leader_lost_) {
      leader_lost_ = true;
      ++report_.leaders_lost;
    }
    for (size_t i = 0; i < kNodes; ++i) {
      if (recover_target_[i] == 0 || !nodes_[i]->running()) continue;
      if (nodes_[i]->projection().applied_index() >= recover_target_[i]) {
        recover_target_[i] = 0;
        ++report_.crashes_recovered;
      }
    }
  }

  // --- Mail ---

  void ScheduleMail(size_t c) {
    Later(Between(Duration::zero(), 2 * options_.mail_interval_mean), "sim/mail", [this, c] {
      if (world_.now() >= options_.duration) return;
      const std::string marker = "m" + std::to_string(report_.mails_sent++);
      Mail& mail = mails_[marker];
      mail.rcpt_to = "user" + std::to_string(world_.random().Below(4)) + "@example.com";
      const size_t bytes = world_.random().OneIn(10) ? 20'000 + world_.random().Below(60'000)
                                                     : 200 + world_.random().Below(4000);
      mail.raw = "From: sender@example.net\r\nTo: " + mail.rcpt_to + "\r\nSubject: mail " + marker +
                 "\r\nMessage-ID: <" + marker + "@example.net>\r\n\r\n";
      while (mail.raw.size() < bytes)
        mail.raw += "line " + std::to_string(mail.raw.size()) + "\r\n";
      clients_[c].queue.push_back(marker);
      if (!clients_[c].busy) Attempt(c);
      ScheduleMail(c);
    });
  }

  void Attempt(size_t c) {
    Client& client = clients_[c];
    if (client.queue.empty()) {
      client.busy = false;
      return;
    }
    client.busy = true;
    SimRaftNode& node = *nodes_[client.target];
    if (!node.running() || network_.Blocked(client.host, node.options().host)) {
      ++report_.failed_attempts;  // refused or no answer to the connect
      RetryElsewhere(c);
      return;
    }
    const std::string& marker = client.queue.front();
    Mail& mail = mails_[marker];
    ++mail.attempts;
    events::Event event;
    events::MailReceived* received = event.mutable_mail_received();
    received->set_mail_id(marker);
    received->set_mail_from("sender@example.net");
    received->add_rcpt_to(mail.rcpt_to);
    received->set_raw(mail.raw);
    received->set_peer_address(client.host + ":25");
    const uint64_t attempt = ++client.attempts;
    client.waiting_for = attempt;
    const size_t target = client.target;
    node.proposer().Propose(std::move(event), [this, c, attempt, target](Result<uint64_t> index) {
      if (!finished_) OnAnswer(c, attempt, target, std::move(index));
    });
    Later(kReplyTimeout, "client/timeout", [this, c, attempt] {
      if (clients_[c].waiting_for != attempt) return;
      clients_[c].waiting_for = 0;
      ++report_.failed_attempts;
      RetryElsewhere(c);
    });
  }

  void OnAnswer(size_t c, uint64_t attempt, size_t target, Result<uint64_t> index) {
    Client& client = clients_[c];
    if (client.waiting_for != attempt) return;  // timed out already
    client.waiting_for = 0;
    if (!index.ok()) {
      if (index.status().code() == StatusCode::kUnavailable) {
        ++report_.refused_not_leader;  // 451 4.3.0
      } else {
        ++report_.failed_attempts;
      }
      RetryElsewhere(c);
      return;
    }
    const std::string marker = client.queue.front();
    client.queue.pop_front();
    mails_[marker].acked = true;
    CheckQuorum(target, *index, marker);
    Later(Duration::zero(), "client/next", [this, c] { Attempt(c); });
  }

  void RetryElsewhere(size_t c) {
    Client& client = clients_[c];
    client.target = (client.target + 1 + world_.random().Below(kNodes - 1)) % kNodes;
    Later(Between(kRetryAfterMin, kRetryAfterMax), "client/retry", [this, c] { Attempt(c); });
  }

  // At a 250: the entry is in the logs of a quorum (a node that is down is unknown).
  void CheckQuorum(size_t leader, uint64_t index, const std::string& marker) {
    std::optional<eventlog::LogRecord> acked = RecordAt(leader, index);
    if (!acked.has_value()) {
      Violation(marker + " acknowledged at index " + std::to_string(index) +
                ", not in the acknowledging node's log");
      return;
    }
    size_t held = 0;
    size_t unknown = 0;
    for (size_t i = 0; i < kNodes; ++i) {
      if (!nodes_[i]->running()) {
        ++unknown;
        continue;
      }
      if (index < nodes_[i]->log().first_index()) {
        ++held;  // covered by a snapshot: committed
        continue;
      }
      std::optional<eventlog::LogRecord> record = RecordAt(i, index);
      if (record.has_value() && record->term == acked->term && record->payload == acked->payload) {
        ++held;
      }
    }
    if (held + unknown < kQuorum) {
      Violation(marker + " acknowledged at index " + std::to_string(index) + " while in " +
                std::to_string(held) + " logs of " + std::to_string(kNodes - unknown) +
                " running nodes: no quorum");
    }
  }

  std::optional<eventlog::LogRecord> RecordAt(size_t node, uint64_t index) {
    const eventlog::LogStore& log = nodes_[node]->log();
    if (index < log.first_index() || index > log.last_index()) return std::nullopt;
    Result<std::vector<eventlog::LogRecord>> records = log.Read(index, index, SIZE_MAX);
    if (!records.ok() || records->empty()) return std::nullopt;
    return std::move(records->front());
  }

  // --- Faults ---

  void ScheduleFault() {
    Later(Between(Duration::zero(), 2 * options_.fault_interval_mean), "sim/fault", [this] {
      if (world_.now() >= options_.duration) return;
      constexpr Kind kKinds[] = {Kind::kCrash,        Kind::kPowerLoss, Kind::kPartition,
                                 Kind::kClog,         Kind::kLossy,     Kind::kPowerLoss,
                                 Kind::kFsyncFailure, Kind::kDiskFull,  Kind::kPartition};
      Kind kind = kKinds[world_.random().Below(std::size(kKinds))];
      if (!options_.storage_faults && (kind == Kind::kFsyncFailure || kind == Kind::kDiskFull)) {
        kind = Kind::kCrash;  // drawn all the same: the seed's later story stays put
      }
      // The leader half the time: losing it is the interesting case.
      size_t node = world_.random().Below(kNodes);
      if (world_.random().OneIn(2)) {
        if (SimRaftNode* leader = Leader()) node = leader->options().id - 1;
      }
      Inject(kind, node, Between(kFaultMin, kFaultMax));
    });
  }

  void EndLater(Duration length, std::function<void()> end) {
    ++faults_active_;
    Later(length, "sim/fault-end", [this, end = std::move(end)] {
      end();
      --faults_active_;
      if (options_.random_faults) ScheduleFault();
    });
  }

  void Restart(size_t i) {
    SimRaftNode& node = *nodes_[i];
    if (node.running()) return;
    if (node.stopping()) {  // this fault's end came while an earlier crash was closing it
      Later(std::chrono::seconds(1), "sim/restart", [this, i] { Restart(i); });
      return;
    }
    Status started = node.Start();
    if (!started.ok()) {
      Violation("restart of n" + std::to_string(i + 1) + " failed: " + started.ToString());
      return;
    }
    uint64_t committed = 0;
    for (auto& other : nodes_) {
      if (other->running()) committed = std::max(committed, other->raft().commit_index());
    }
    recover_target_[i] = std::max<uint64_t>(committed, 1);
  }

  void Inject(Kind kind, size_t i, Duration length) {
    SimRaftNode& node = *nodes_[i];
    const std::string host = Host(i);
    const bool takes_node_down = kind == Kind::kCrash || kind == Kind::kPowerLoss ||
                                 kind == Kind::kFsyncFailure || kind == Kind::kDiskFull;
    if (takes_node_down && !node.running()) {
      if (options_.random_faults) ScheduleFault();
      return;
    }
    char line[128];
    std::snprintf(
        line, sizeof(line), "%.3f s: %s n%zu for %lld s",
        std::chrono::duration<double>(world_.now()).count(), KindName(kind), i + 1,
        static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(length).count()));
    report_.timeline.push_back(line);
    switch (kind) {
      case Kind::kCrash:
        ++report_.crashes;
        node.Crash();
        EndLater(length, [this, i] { Restart(i); });
        return;
      case Kind::kPowerLoss:
        ++report_.power_losses;
        node.PowerLoss(world_.random().OneIn(2));
        EndLater(length, [this, i] { Restart(i); });
        return;
      case Kind::kPartition:
      case Kind::kClog: {
        ++report_.partitions;
        if (kind == Kind::kClog) {
          network_.Clog(host);
        } else {
          for (size_t j = 0; j < kNodes; ++j) {
            if (j != i) network_.Partition(host, Host(j));
          }
        }
        EndLater(length, [this, i, kind, host] {
          if (kind == Kind::kClog) {
            network_.Unclog(host);
          } else {
            for (size_t j = 0; j < kNodes; ++j) {
              if (j != i) network_.Heal(host, Host(j));
            }
          }
          ++report_.partitions_healed;
        });
        return;
      }
      case Kind::kFsyncFailure:
        // A dying disk: every fsync fails (the log store then refuses all writes, and the
        // node stops acknowledging), until the machine is power-cycled.
        ++report_.fsync_failure_periods;
        node.disk().faults().SetSyncError(true);
        EndLater(length, [this, i] {
          SimRaftNode& failed = *nodes_[i];
          ++report_.power_losses;
          if (failed.running()) {
            failed.PowerLoss(/*torn=*/false);
          } else {
            failed.disk().faults().SetSyncError(false);
          }
          Restart(i);
        });
        return;
      case Kind::kDiskFull:
        ++report_.disk_full_periods;
        node.disk().faults().SetNoSpace(true);
        EndLater(length, [this, i] {
          SimRaftNode& full = *nodes_[i];
          full.disk().faults().SetNoSpace(false);
          // The log store refuses every write after a failed one: the process restarts.
          if (full.running()) full.Crash();
          Restart(i);
        });
        return;
      case Kind::kLossy: {
        ++report_.lossy_periods;
        SimRaftNetwork::Faults& faults = raft_network_.faults();
        faults.loss_per_mille = kLossyLossPerMille;
        faults.duplicate_per_mille = kLossyDuplicatePerMille;
        faults.delay_max = kLossyDelayMax;
        EndLater(length, [this] { raft_network_.faults() = base_faults_; });
        return;
      }
    }
  }

  // --- Quiet and checks ---

  // A leader within kLeaderBound, then an entry of its term committed and applied on every node
  // within kQuietBound (Raft commits the entries of earlier terms only through one of the
  // current term: Ongaro 2014 section 3.6.2). Liveness violations otherwise.
  bool Quiet(const std::string& when) {
    if (!world_.RunUntil([&] { return Leader() != nullptr; }, kLeaderBound)) {
      Violation(
          "liveness: no leader within " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kLeaderBound).count()) +
          " s " + when);
      return false;
    }
    const MonoTime deadline = world_.now() + kQuietBound;
    uint64_t committed = 0;
    while (committed == 0 && world_.now() < deadline) {
      SimRaftNode* leader = Leader();
      if (leader == nullptr) {
        world_.RunUntil([&] { return Leader() != nullptr; }, deadline - world_.now());
        continue;
      }
      events::Event event;
      event.mutable_mail_received()->set_mail_id("quiet/" + std::to_string(++quiet_proposals_));
      // Shared: an answer after the deadline must find it alive.
      auto outcome = std::make_shared<std::optional<Result<uint64_t>>>();
      leader->proposer().Propose(
          std::move(event), [outcome](Result<uint64_t> index) { *outcome = std::move(index); });
      world_.RunUntil([&] { return outcome->has_value(); }, deadline - world_.now());
      if (outcome->has_value() && outcome->value().ok()) committed = *outcome->value();
    }
    const bool applied =
        committed > 0 &&
        world_.RunUntil(
            [&] {
              for (auto& node : nodes_) {
                if (!node->running() || node->projection().applied_index() < committed) {
                  return false;
                }
              }
              return true;
            },
            deadline - world_.now());
    if (!applied) {
      Violation(
          "liveness: the cluster did not commit and apply a new entry on every node " + when +
          " within " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kQuietBound).count()) +
          " s");
    }
    return applied;
  }

  void Check(const std::string& when, bool final) {
    // Projections identical.
    const SimMailProjection& first = nodes_[0]->projection();
    for (size_t i = 1; i < kNodes; ++i) {
      const SimMailProjection& other = nodes_[i]->projection();
      if (other.applied_index() != first.applied_index() ||
          other.state_hash() != first.state_hash()) {
        Violation("projections differ " + when + ": n1 applied " +
                  std::to_string(first.applied_index()) + " hash " +
                  std::to_string(first.state_hash()) + ", n" + std::to_string(i + 1) + " applied " +
                  std::to_string(other.applied_index()) + " hash " +
                  std::to_string(other.state_hash()));
      }
    }
    // No acknowledged mail lost, on any node.
    for (const auto& [marker, mail] : mails_) {
      bool lost = false;
      for (size_t i = 0; i < kNodes; ++i) {
        const std::map<std::string, uint64_t>& held = nodes_[i]->projection().mails();
        auto it = held.find(marker);
        const uint64_t filed = it == held.end() ? 0 : it->second;
        if (mail.acked && filed == 0) {
          lost = true;
          Violation(marker + " acknowledged, missing on n" + std::to_string(i + 1) + " " + when);
        }
        if (filed > mail.attempts) {
          Violation(marker + " filed " + std::to_string(filed) + " times on n" +
                    std::to_string(i + 1) + ", submitted " + std::to_string(mail.attempts));
        }
        if (final && i == 0 && filed > 1) report_.duplicates_documented += filed - 1;
      }
      if (final && mail.acked) {
        ++report_.mails_acked;
        ++(lost ? report_.mails_lost : report_.mails_kept);
      }
    }
    CheckLogs(when);
  }

  // Logs are prefixes of one another: an index holding the same term holds the same entry
  // (Raft's Log Matching), and through the lowest commit index they are identical.
  void CheckLogs(const std::string& when) {
    std::vector<std::map<uint64_t, eventlog::LogRecord>> logs(kNodes);
    uint64_t committed = UINT64_MAX;
    for (size_t i = 0; i < kNodes; ++i) {
      const eventlog::LogStore& log = nodes_[i]->log();
      committed = std::min(committed, nodes_[i]->raft().commit_index());
      if (log.last_index() < log.first_index()) continue;
      Result<std::vector<eventlog::LogRecord>> records =
          log.Read(log.first_index(), log.last_index(), SIZE_MAX);
      if (!records.ok()) {
        Violation("n" + std::to_string(i + 1) + "'s log unreadable " + when + ": " +
                  records.status().ToString());
        continue;
      }
      for (eventlog::LogRecord& record : *records) logs[i][record.index] = std::move(record);
    }
    for (size_t i = 1; i < kNodes; ++i) {
      for (const auto& [index, record] : logs[i]) {
        auto it = logs[0].find(index);
        if (it == logs[0].end()) {
          if (index <= committed && index >= nodes_[0]->log().first_index()) {
            Violation("index " + std::to_string(index) + " committed, missing in n1's log " + when);
          }
          continue;
        }
        const bool same = it->second.term == record.term && it->second.payload == record.payload;
        if (it->second.term == record.term && !same) {
          Violation("index " + std::to_string(index) + " term " + std::to_string(record.term) +
                    " holds different entries on n1 and n" + std::to_string(i + 1) + " " + when +
                    " (" + std::to_string(it->second.payload.size()) + " bytes, hash " +
                    std::to_string(Fnv1a(it->second.payload)) + "; " +
                    std::to_string(record.payload.size()) + " bytes, hash " +
                    std::to_string(Fnv1a(record.payload)) + ")");
        } else if (index <= committed && !same) {
          Violation("index " + std::to_string(index) + " committed, differs between n1 and n" +
                    std::to_string(i + 1) + " " + when);
        }
      }
    }
  }

  ClusterSimulationReport Finish() {
    report_.raft_frames_lost = raft_network_.stats().lost;
    report_.raft_frames_duplicated = raft_network_.stats().duplicated;
    report_.virtual_seconds = std::chrono::duration<double>(world_.now()).count();
    report_.events = world_.events_run();
    report_.trace_hash = world_.trace_hash();
    return report_;
  }

  const ClusterSimulationOptions options_;
  World world_;
  SimNetwork network_;
  SimRaftNetwork raft_network_;
  SimRaftNetwork::Faults base_faults_;
  std::vector<std::unique_ptr<SimRaftNode>> nodes_;
  std::vector<Client> clients_;
  std::map<std::string, Mail> mails_;
  std::map<uint64_t, uint64_t> leaders_;  // term -> the leader seen in it
  std::set<uint64_t> double_leader_terms_;
  bool had_leader_ = false;
  bool leader_lost_ = false;
  std::vector<uint64_t> recover_target_;  // per node: catch up to this index; 0: nothing to do
  uint64_t quiet_proposals_ = 0;
  int faults_active_ = 0;
  uint64_t hook_ = 0;
  bool finished_ = false;
  ClusterSimulationReport report_;
};

}  // namespace

ClusterSimulationReport RunClusterSimulation(const ClusterSimulationOptions& options) {
  return Run(options).Go();
}

std::string ClusterSimulationReport::ToText() const {
  char line[768];
  std::snprintf(
      line, sizeof(line),
      "cluster seed %llu: %s, %.0f virtual s, %llu events, trace %016llx\n"
      "  mail: %llu sent, %llu acked, %llu kept on every node, %llu lost, %llu duplicated "
      "(retries), %llu 451 from followers, %llu failed attempts\n"
      "  faults: %llu crashes, %llu power losses, %llu partitions or clogs, %llu fsync-failure "
      "periods, %llu disk-full periods, %llu lossy periods; raft frames %llu lost, %llu "
      "duplicated\n"
      "  sometimes: %llu leaders lost, %llu elected after, %llu partitions healed, %llu crashes "
      "recovered, %llu terms\n",
      static_cast<unsigned long long>(seed), ok() ? "ok" : "FAILED", virtual_seconds,
      static_cast<unsigned long long>(events), static_cast<unsigned long long>(trace_hash),
      static_cast<unsigned long long>(mails_sent), static_cast<unsigned long long>(mails_acked),
      static_cast<unsigned long long>(mails_kept), static_cast<unsigned long long>(mails_lost),
      static_cast<unsigned long long>(duplicates_documented),
      static_cast<unsigned long long>(refused_not_leader),
      static_cast<unsigned long long>(failed_attempts), static_cast<unsigned long long>(crashes),
      static_cast<unsigned long long>(power_losses), static_cast<unsigned long long>(partitions),
      static_cast<unsigned long long>(fsync_failure_periods),
      static_cast<unsigned long long>(disk_full_periods),
      static_cast<unsigned long long>(lossy_periods),
      static_cast<unsigned long long>(raft_frames_lost),
      static_cast<unsigned long long>(raft_frames_duplicated),
      static_cast<unsigned long long>(leaders_lost),
      static_cast<unsigned long long>(leaders_elected),
      static_cast<unsigned long long>(partitions_healed),
      static_cast<unsigned long long>(crashes_recovered), static_cast<unsigned long long>(terms));
  std::string text = line;
  for (size_t i = 0; i < violations.size() && i < 10; ++i) {
    text += "  violation: " + violations[i] + "\n";
  }
  if (violations.size() > 10) {
    text += "  ... " + std::to_string(violations.size() - 10) + " more violations\n";
  }
  if (!ok()) {
    for (const std::string& fault : timeline) text += "  fault at " + fault + "\n";
    text += "  replay: lifeboat sim --cluster --seed " + std::to_string(seed) + "\n";
  }
  return text;
}

}  // namespace lifeboat::simulator
