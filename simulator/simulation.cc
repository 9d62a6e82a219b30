#include "simulator/simulation.h"

#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <utility>

#include "appliance/json/json_writer.h"
#include "appliance/mailbox_read_state.h"
#include "appliance/projection_list.h"
#include "appliance/routing_service.h"
#include "eventlog/events.pb.h"
#include "modules/mailbox/mailbox_reader.h"
#include "simulator/sim_network.h"
#include "simulator/sim_node.h"
#include "simulator/sim_primary.h"
#include "simulator/sim_sender.h"
#include "simulator/world.h"

namespace lifeboat::simulator {
namespace {

constexpr char kDomain[] = "example.com";
constexpr char kMarkerHeader[] = "X-Sim-Mail: ";
constexpr int kMailboxes = 4;
// A fault lasts a seeded time in [kFaultMin, kFaultMax]; a node is down as long before restart.
constexpr Duration kFaultMin = std::chrono::seconds(1);
constexpr Duration kFaultMax = std::chrono::seconds(60);
// Time for in-flight faults to end after the fault window.
constexpr Duration kFaultEndBound = std::chrono::minutes(2);
// The primary mail system's address on the simulated network.
constexpr char kPrimaryHost[] = "10.0.0.9";
constexpr uint16_t kPrimaryPort = 25;

double Seconds(Duration duration) {
  return std::chrono::duration<double>(duration).count();
}

std::string MarkerIn(const std::string& raw) {
  const size_t at = raw.find(kMarkerHeader);
  if (at == std::string::npos) return "";
  const size_t from = at + sizeof(kMarkerHeader) - 1;
  return raw.substr(from, raw.find("\r\n", from) - from);
}

class Run {
 public:
  explicit Run(const SimulationOptions& options)
      : options_(options),
        world_(options.seed),
        network_(world_),
        node_(world_, network_, NodeOptions(options)) {
    report_.seed = options.seed;
    report_.scenario = options.scenario;
    report_.primary = options.primary;
    if (options.primary) {
      primary_ = std::make_unique<SimPrimary>(world_, network_, kPrimaryHost, kPrimaryPort);
      primary_->Start();
    }
  }

  SimulationReport Go() {
    Status started = node_.Start();
    if (!started.ok()) {
      report_.violations.push_back("first start failed: " + started.ToString());
      return Finish();
    }
    for (int i = 0; i < options_.senders; ++i) {
      const std::string host = "192.0.2." + std::to_string(i + 1);
      senders_.push_back(std::make_unique<SimSender>(world_, network_, "s" + std::to_string(i),
                                                     host, node_.smtp_address()));
      ScheduleMail(i);
    }
    if (options_.random_faults) ScheduleFault();
    for (const ScheduledFault& fault : options_.faults) {
      // `at` counts from the start of the world, before the first start provisioned the node.
      const Duration after = std::max(Duration::zero(), fault.at - world_.now());
      world_.Schedule(after, "sim/scenario-fault", [this, fault] {
        if (world_.now() >= options_.duration) return;
        InjectFault(fault.kind, *senders_[fault.sender % senders_.size()], fault.length,
                    /*then=*/nullptr);
      });
    }
    world_.RunFor(options_.duration);
    // The faults stop: the ones running end, then the queues must drain.
    if (!world_.RunUntil([&] { return faults_active_ == 0; }, kFaultEndBound)) {
      report_.violations.push_back("a fault did not end");
    }
    report_.drained = world_.RunUntil(
        [&] {
          for (const auto& sender : senders_) {
            if (sender->queued() > 0) return false;
          }
          return true;
        },
        options_.drain_bound);
    Note(report_.drained ? "the senders' queues drained" : "the senders' queues did not drain");
    if (!report_.drained) {
      size_t queued = 0;
      for (const auto& sender : senders_) queued += sender->queued();
      report_.violations.push_back("liveness: " + std::to_string(queued) + " mails still queued " +
                                   "after the drain bound");
    }
    if (primary_ != nullptr) AwaitRecovery();
    world_.RunFor(std::chrono::seconds(5));  // the projection worker catches up
    // The last power cut, then everything acknowledged must be there.
    node_.PowerLoss(world_.random().OneIn(2));
    ++report_.power_losses;
    Note("the last power cut, then the checks");
    started = node_.Start();
    if (!started.ok()) {
      report_.violations.push_back("final restart failed: " + started.ToString());
      return Finish();
    }
    Verify();
    return Finish();
  }

 private:
  static SimNodeOptions NodeOptions(const SimulationOptions& options) {
    SimNodeOptions node;
    node.domains = {kDomain};
    node.mailboxes = kMailboxes;
    node.acknowledge_before_sync_for_tests = options.acknowledge_before_sync_for_tests;
    if (options.primary) {
      node.routing.enabled = true;
      node.routing.primaries = {std::string(kPrimaryHost) + ":" + std::to_string(kPrimaryPort)};
      node.routing.helo_name = node.name + ".sim";
      if (options.node_failures_to_switch_for_tests > 0) {
        node.routing.failures_to_switch = options.node_failures_to_switch_for_tests;
      }
      if (options.node_without_hold_down_for_tests) node.routing.hold_down_ms = 0;
    }
    return node;
  }

  // The routing thresholds the checkers hold the node to: the defaults it promises (the node
  // runs with the same ones unless a test injects a bug).
  const config::RoutingConfig& Routing() const { return promised_routing_; }
  // Outage start to the switch, at most: N failed probes one interval apart, the last one
  // waiting its timeout (a partitioned primary), then a second for the proposal to commit.
  Duration DetectionBound() const {
    const config::RoutingConfig& routing = Routing();
    return std::chrono::milliseconds(routing.failures_to_switch * routing.probe_interval_ms +
                                     routing.probe_timeout_ms) +
           std::chrono::seconds(1);
  }
  // The primary back for good to the switch out of continuity: the hold-down (it counts from
  // the last change or the node's start, at most the recovery's start), M successes, a timeout.
  Duration RecoveryBound() const {
    const config::RoutingConfig& routing = Routing();
    return std::chrono::milliseconds(routing.hold_down_ms +
                                     routing.successes_to_recover * routing.probe_interval_ms +
                                     routing.probe_timeout_ms) +
           std::chrono::seconds(1);
  }

  // After the faults: a primary that is back must be failed back to within RecoveryBound
  // (liveness). Runs the world until then.
  void AwaitRecovery() {
    LB_CHECK(primary_->up());
    const bool left = world_.RunUntil(
        [&] {
          if (!node_.running()) return false;
          return node_.routing_table().Scopes().at("all") != events::ROUTING_MODE_CONTINUITY;
        },
        RecoveryBound());
    if (!left) {
      report_.violations.push_back("routing: still in continuity " +
                                   std::to_string(Seconds(RecoveryBound())) +
                                   " s after the faults ended with the primary up");
    }
  }

  Duration Between(Duration low, Duration high) {
    return low + Duration(world_.random().Below((high - low).count() + 1));
  }

  void ScheduleMail(int sender) {
    const Duration pause = Between(Duration::zero(), 2 * options_.mail_interval_mean);
    world_.Schedule(pause, "sim/mail", [this, sender] {
      if (world_.now() >= options_.duration) return;
      const std::string marker = "m" + std::to_string(report_.mails_sent++);
      const std::string rcpt =
          "user" + std::to_string(world_.random().Below(kMailboxes)) + "@" + kDomain;
      senders_[sender]->Send(marker, rcpt, MailText(marker, rcpt));
      ScheduleMail(sender);
    });
  }

  std::string MailText(const std::string& marker, const std::string& rcpt) {
    const size_t bytes = world_.random().OneIn(10) ? 20'000 + world_.random().Below(80'000)
                                                   : 200 + world_.random().Below(4000);
    std::string raw = "From: sender@example.net\r\nTo: " + rcpt + "\r\nSubject: mail " + marker +
                      "\r\nMessage-ID: <" + marker + "@example.net>\r\n" + kMarkerHeader + marker +
                      "\r\n\r\n";
    while (raw.size() < bytes)
      raw += "line " + std::to_string(raw.size()) + " of " + marker + "\r\n";
    return raw;
  }

  void ScheduleFault() {
    const Duration pause = Between(Duration::zero(), 2 * options_.fault_interval_mean);
    world_.Schedule(pause, "sim/fault", [this] {
      if (world_.now() >= options_.duration) return;
      constexpr FaultKind kKinds[] = {
          FaultKind::kCrash,     FaultKind::kPowerLoss,     FaultKind::kDiskFull,
          FaultKind::kPartition, FaultKind::kBadLink,       FaultKind::kFsyncFailure,
          FaultKind::kClog,      FaultKind::kPrimaryOutage, FaultKind::kPrimaryFlap};
      // Without a primary the last two are not drawn.
      const size_t kinds = std::size(kKinds) - (primary_ == nullptr ? 2 : 0);
      FaultKind kind = kKinds[world_.random().Below(kinds)];
      SimSender& sender = *senders_[world_.random().Below(senders_.size())];
      if (kind == FaultKind::kPowerLoss && world_.random().OneIn(2)) {
        kind = FaultKind::kTornPowerLoss;
      }
      InjectFault(kind, sender, Between(kFaultMin, kFaultMax), [this] { ScheduleFault(); });
    });
  }

  void Note(std::string what) { Note(Seconds(world_.now()), std::move(what)); }
  void Note(double at_seconds, std::string what) {
    report_.timeline.push_back({at_seconds, std::move(what)});
  }

  // Runs `end` after `length`, then `then` (the next random fault) if any.
  void EndLater(FaultKind kind, Duration length, std::function<void()> end,
                std::function<void()> then) {
    ++faults_active_;
    world_.Schedule(length, "sim/fault-end",
                    [this, kind, end = std::move(end), then = std::move(then)] {
                      end();
                      Note(std::string(FaultKindName(kind)) + " ends");
                      --faults_active_;
                      if (then) then();
                    });
  }

  void NodeDown() { report_.node_down.push_back({Seconds(world_.now()), -1}); }
  void NodeUp() {
    if (!report_.node_down.empty() && report_.node_down.back().to_seconds < 0) {
      report_.node_down.back().to_seconds = Seconds(world_.now());
    }
  }
  void PrimaryDown() {
    primary_->Stop();
    report_.primary_down.push_back({Seconds(world_.now()), -1});
  }
  void PrimaryUp() {
    primary_->Start();
    if (!report_.primary_down.empty() && report_.primary_down.back().to_seconds < 0) {
      report_.primary_down.back().to_seconds = Seconds(world_.now());
    }
  }
  // Down and up every kPrimaryFlapPeriod until `until`; it ends up.
  void Flap(MonoTime until) {
    if (world_.now() >= until) return;
    if (primary_->up()) {
      PrimaryDown();
    } else {
      PrimaryUp();
    }
    world_.Schedule(kPrimaryFlapPeriod, "sim/primary-flap", [this, until] { Flap(until); });
  }

  void Restart() {
    if (node_.running()) return;  // another fault's end restarted it
    Status started = node_.Start();
    if (started.ok()) NodeUp();
    Note(started.ok() ? "node restarted" : "node restart failed");
    if (!started.ok()) report_.violations.push_back("restart failed: " + started.ToString());
  }

  void InjectFault(FaultKind kind, SimSender& sender, Duration length, std::function<void()> then) {
    const std::string& node_host = node_.options().host;
    const bool takes_node_down = kind == FaultKind::kCrash || kind == FaultKind::kPowerLoss ||
                                 kind == FaultKind::kTornPowerLoss ||
                                 kind == FaultKind::kDiskFull || kind == FaultKind::kFsyncFailure;
    if (takes_node_down && !node_.running()) {
      Note(std::string(FaultKindName(kind)) + " skipped: the node is down");
      if (then) then();
      return;
    }
    Note(std::string(FaultKindName(kind)) + " for " +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(length).count()) + " s" +
         (kind == FaultKind::kPartition || kind == FaultKind::kBadLink ? " (" + sender.host() + ")"
                                                                       : ""));
    const bool primary_kind = kind == FaultKind::kPrimaryOutage || kind == FaultKind::kPrimaryFlap;
    if (primary_kind && (primary_ == nullptr || !primary_->up())) {
      Note(std::string(FaultKindName(kind)) +
           " skipped: " + (primary_ == nullptr ? "no primary in this run" : "the primary is down"));
      if (then) then();
      return;
    }
    if (kind == FaultKind::kCrash || kind == FaultKind::kPowerLoss ||
        kind == FaultKind::kTornPowerLoss) {
      NodeDown();
    }
    switch (kind) {
      case FaultKind::kPrimaryOutage:
        ++report_.primary_outages;
        PrimaryDown();
        EndLater(
            kind, length, [this] { PrimaryUp(); }, std::move(then));
        return;
      case FaultKind::kPrimaryFlap: {
        ++report_.primary_outages;
        const MonoTime until = world_.now() + length;
        Flap(until);
        EndLater(
            kind, length + kPrimaryFlapPeriod, [this] { PrimaryUp(); }, std::move(then));
        return;
      }
      case FaultKind::kCrash:
        ++report_.crashes;
        node_.Crash();
        EndLater(
            kind, length, [this] { Restart(); }, std::move(then));
        return;
      case FaultKind::kPowerLoss:
      case FaultKind::kTornPowerLoss: {
        const bool torn = kind == FaultKind::kTornPowerLoss;
        ++report_.power_losses;
        report_.torn_power_losses += torn ? 1 : 0;
        node_.PowerLoss(torn);
        EndLater(
            kind, length, [this] { Restart(); }, std::move(then));
        return;
      }
      case FaultKind::kDiskFull:
        ++report_.disk_full_periods;
        node_.disk().faults().SetNoSpace(true);
        EndLater(
            kind, length,
            [this] {
              node_.disk().faults().SetNoSpace(false);
              // LevelDB refuses every write after a failed one until reopened: the node is
              // restarted (systemd would, once the process exits on the error).
              if (node_.running()) {
                NodeDown();
                node_.Crash();
              }
              Restart();
            },
            std::move(then));
        return;
      case FaultKind::kPartition:
        ++report_.partitions;
        network_.Partition(sender.host(), node_host);
        EndLater(
            kind, length, [this, &sender, node_host] { network_.Heal(sender.host(), node_host); },
            std::move(then));
        return;
      case FaultKind::kBadLink: {
        ++report_.bad_links;
        SimNetwork::LinkFaults& link = network_.link(sender.host(), node_host);
        link.loss_per_mille = 50;
        link.reset_per_mille = 5;
        EndLater(
            kind, length,
            [&link] {
              link.loss_per_mille = 0;
              link.reset_per_mille = 0;
            },
            std::move(then));
        return;
      }
      case FaultKind::kFsyncFailure:
        // A dying disk: every fsync fails (LevelDB then refuses all writes), until the machine
        // is power-cycled, which drops what was never synced.
        ++report_.sync_failure_periods;
        node_.disk().faults().SetSyncError(true);
        EndLater(
            kind, length,
            [this] {
              ++report_.power_losses;
              if (node_.running()) {
                NodeDown();
                node_.PowerLoss(/*torn=*/false);
              } else {
                node_.disk().faults().SetSyncError(false);
              }
              Restart();
            },
            std::move(then));
        return;
      case FaultKind::kClog:
        ++report_.partitions;
        network_.Clog(node_host);
        EndLater(
            kind, length, [this, node_host] { network_.Unclog(node_host); }, std::move(then));
        return;
    }
  }

  void Verify() {
    const eventlog::LogStore& log = node_.log();
    std::map<std::string, std::vector<std::string>> filed;  // marker -> mail ids in the log
    if (log.last_index() >= log.first_index()) {
      Result<std::vector<eventlog::LogRecord>> records =
          log.Read(log.first_index(), log.last_index(), SIZE_MAX);
      if (!records.ok()) {
        report_.violations.push_back("log unreadable: " + records.status().ToString());
        return;
      }
      for (const eventlog::LogRecord& record : *records) {
        events::Event event;
        if (!event.ParseFromString(record.payload)) {
          report_.violations.push_back("record " + std::to_string(record.index) + " unparsable");
          continue;
        }
        if (event.has_routing_changed() && event.routing_changed().scope() == "all") {
          const events::RoutingChanged& changed = event.routing_changed();
          const double at = Seconds(WallTime(event.timestamp_unix_micros()) - world_.wall_start());
          report_.routing.push_back({at, std::string(RoutingModeName(changed.mode())),
                                     changed.reason(), changed.forced_by_operator()});
        }
        if (!event.has_mail_received()) continue;
        filed[MarkerIn(event.mail_received().raw())].push_back(event.mail_received().mail_id());
      }
    }
    StateMailboxReadState state(node_.runner());
    mailbox::MailboxReader mailboxes(state, nullptr);
    for (const auto& sender : senders_) {
      for (const auto& [marker, mail] : sender->mails()) {
        const std::vector<std::string>& ids = filed[marker];
        if (mail.rejected) {
          ++report_.mails_rejected;
          report_.violations.push_back(marker + " rejected with a 5xx");
        }
        if (ids.size() > mail.data_sent) {
          ++report_.duplicates_unexplained;
          report_.violations.push_back(marker + " filed " + std::to_string(ids.size()) +
                                       " times, sent " + std::to_string(mail.data_sent));
        } else if (ids.size() > 1) {
          report_.duplicates_documented += ids.size() - 1;
        }
        if (!mail.acked) continue;
        ++report_.mails_acked;
        const bool in_log = std::find(ids.begin(), ids.end(), mail.server_id) != ids.end();
        const std::string mailbox_id = mail.rcpt_to.substr(0, mail.rcpt_to.find('@'));
        const bool in_mailbox = mailboxes.GetMessage(mailbox_id, mail.server_id).ok();
        if (in_log && in_mailbox) {
          ++report_.mails_kept;
        } else {
          ++report_.mails_lost;
          report_.violations.push_back(marker + " acknowledged as " + mail.server_id +
                                       (in_log ? "" : ", not in the log") +
                                       (in_mailbox ? "" : ", not in " + mailbox_id + "'s mailbox"));
        }
      }
    }
    CheckStateHash();
    if (primary_ != nullptr) CheckRouting();
    for (const std::string& error : node_.worker_errors()) {
      report_.violations.push_back("projection worker: " + error);
    }
  }

  // Was the node up during all of [from, to]?
  bool NodeUpThroughout(double from, double to) const {
    for (const Span& down : report_.node_down) {
      const double down_end = down.to_seconds < 0 ? 1e300 : down.to_seconds;
      if (down.from_seconds <= to && down_end >= from) return false;
    }
    return true;
  }

  // The routing checkers (issue #14 item 4), on the RoutingChanged events of the log:
  //  - detection: an outage that outlasts DetectionBound (counted from when the hold-down let
  //    the mode change) while the node ran throughout is answered by a switch to continuity
  //    within that bound;
  //  - no flapping: automatic changes of a scope are at least a hold-down apart;
  //  - the switches are counted (sometimes: failovers, failbacks), and written into the timeline.
  void CheckRouting() {
    const double hold_down = Routing().hold_down_ms / 1000.0;
    const double detection = Seconds(DetectionBound());
    double last_automatic = -1e300;
    std::string previous = "normal";
    for (const RoutingStep& step : report_.routing) {
      Note(step.at_seconds, "routing: " + step.mode + " (" + step.reason + ")");
      if (step.mode == "continuity" && previous != "continuity") ++report_.failovers;
      if (step.mode != "continuity" && previous == "continuity") ++report_.failbacks;
      previous = step.mode;
      if (step.forced) continue;
      // 1 ms: timestamps are whole microseconds of a virtual clock.
      if (step.at_seconds - last_automatic < hold_down - 0.001) {
        report_.violations.push_back(
            "routing flapped: automatic changes at " + std::to_string(last_automatic) + " s and " +
            std::to_string(step.at_seconds) + " s, hold-down " + std::to_string(hold_down) + " s");
      }
      last_automatic = step.at_seconds;
    }
    std::stable_sort(
        report_.timeline.begin(), report_.timeline.end(),
        [](const TimelineEntry& a, const TimelineEntry& b) { return a.at_seconds < b.at_seconds; });
    for (const Span& outage : report_.primary_down) {
      // The mode and the last automatic change when the outage began.
      std::string mode = "normal";
      double changed_at = -1e300;
      for (const RoutingStep& step : report_.routing) {
        if (step.at_seconds > outage.from_seconds) break;
        mode = step.mode;
        if (!step.forced) changed_at = step.at_seconds;
      }
      if (mode == "continuity") continue;
      const double earliest = std::max(outage.from_seconds, changed_at + hold_down);
      const double deadline = earliest + detection;
      const double outage_end = outage.to_seconds < 0 ? 1e300 : outage.to_seconds;
      if (outage_end < deadline || !NodeUpThroughout(outage.from_seconds, deadline)) continue;
      const auto answered =
          std::find_if(report_.routing.begin(), report_.routing.end(), [&](const RoutingStep& s) {
            return s.mode == "continuity" && s.at_seconds >= outage.from_seconds;
          });
      const bool in_time = answered != report_.routing.end() && answered->at_seconds <= deadline;
      if (report_.first_detection_seconds < 0 && in_time) {
        report_.first_detection_seconds = answered->at_seconds - outage.from_seconds;
      }
      if (!in_time) {
        report_.violations.push_back(
            "routing: the primary went down at " + std::to_string(outage.from_seconds) +
            " s and the mode was not continuity by " + std::to_string(deadline) + " s");
      }
    }
  }

  // The state the node kept against one rebuilt from its log. The rebuild runs on a plain
  // in-memory Env with a memtable larger than the log, so LevelDB schedules no background work.
  void CheckStateHash() {
    Result<std::string> kept = node_.runner().StateHash();
    std::unique_ptr<leveldb::Env> scratch(leveldb::NewMemEnv(leveldb::Env::Default()));
    eventlog::ProjectionRunnerOptions options;
    options.path = "/rebuild";
    options.leveldb_env = scratch.get();
    options.write_buffer_bytes = 256u << 20;
    options.read_ahead = false;
    NodeProjections fresh = MakeProjections({kDomain});
    Result<std::string> rebuilt =
        eventlog::Rebuild(node_.log(), options, fresh.pointers(), node_.commit_index());
    report_.state_hash_matches = kept.ok() && rebuilt.ok() && *kept == *rebuilt;
    if (!report_.state_hash_matches) {
      report_.violations.push_back("state hash: kept " +
                                   (kept.ok() ? *kept : kept.status().ToString()) + ", rebuilt " +
                                   (rebuilt.ok() ? *rebuilt : rebuilt.status().ToString()));
    }
  }

  SimulationReport Finish() {
    for (const auto& sender : senders_) {
      const SimSenderStats& stats = sender->stats();
      report_.disk_full_refusals += stats.disk_full_refusals;
      report_.temporary_failures += stats.temporary_failures;
      report_.sessions_cut += stats.closed_mid_session;
      report_.connect_failures += stats.connect_failures;
      report_.reply_timeouts += stats.timeouts;
    }
    for (const auto& sender : senders_) {
      for (const auto& [marker, mail] : sender->mails()) {
        if (!mail.acked) continue;
        const size_t minute = static_cast<size_t>(
            std::chrono::duration_cast<std::chrono::minutes>(mail.acked_at).count());
        if (report_.acked_per_minute.size() <= minute) report_.acked_per_minute.resize(minute + 1);
        ++report_.acked_per_minute[minute];
        const double at = Seconds(mail.acked_at);
        for (const Span& down : report_.primary_down) {
          if (at >= down.from_seconds && (down.to_seconds < 0 || at < down.to_seconds)) {
            ++report_.mails_acked_primary_down;
            break;
          }
        }
      }
    }
    report_.connection_resets = network_.stats().resets;
    report_.retransmitted_segments = network_.stats().retransmitted;
    report_.virtual_seconds = std::chrono::duration<double>(world_.now()).count();
    report_.events = world_.events_run();
    report_.trace_hash = world_.trace_hash();
    return report_;
  }

  const SimulationOptions options_;
  World world_;
  SimNetwork network_;
  std::unique_ptr<SimPrimary> primary_;  // null: no primary in this run
  const config::RoutingConfig promised_routing_;
  SimNode node_;
  std::vector<std::unique_ptr<SimSender>> senders_;
  int faults_active_ = 0;
  SimulationReport report_;
};

}  // namespace

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kCrash:
      return "crash";
    case FaultKind::kPowerLoss:
      return "power_loss";
    case FaultKind::kTornPowerLoss:
      return "torn_power_loss";
    case FaultKind::kDiskFull:
      return "disk_full";
    case FaultKind::kFsyncFailure:
      return "fsync_failure";
    case FaultKind::kPartition:
      return "partition";
    case FaultKind::kClog:
      return "clog";
    case FaultKind::kBadLink:
      return "bad_link";
    case FaultKind::kPrimaryOutage:
      return "primary_outage";
    case FaultKind::kPrimaryFlap:
      return "primary_flap";
  }
  return "unknown";
}

std::string SimulationReport::RoutingJson() const {
  std::string steps = "[";
  for (const RoutingStep& step : routing) {
    if (steps.size() > 1) steps += ",";
    steps += json::ObjectWriter()
                 .Double("at_seconds", step.at_seconds)
                 .String("mode", step.mode)
                 .String("reason", step.reason)
                 .Bool("forced", step.forced)
                 .Finish();
  }
  steps += "]";
  return json::ObjectWriter()
      .Bool("primary", primary)
      .Uint("primary_outages", primary_outages)
      .Uint("failovers", failovers)
      .Uint("failbacks", failbacks)
      .Double("first_detection_seconds", first_detection_seconds)
      .Raw("changes", steps)
      .Finish();
}

std::string SimulationReport::ToJson() const {
  std::string timeline_json = "[";
  for (const TimelineEntry& entry : timeline) {
    if (timeline_json.size() > 1) timeline_json += ",";
    timeline_json += json::ObjectWriter()
                         .Double("at_seconds", entry.at_seconds)
                         .String("what", entry.what)
                         .Finish();
  }
  timeline_json += "]";
  std::string flow_json = "[";
  for (size_t minute = 0; minute < acked_per_minute.size(); ++minute) {
    if (minute > 0) flow_json += ",";
    flow_json += std::to_string(acked_per_minute[minute]);
  }
  flow_json += "]";
  std::string violations_json = "[";
  for (const std::string& violation : violations) {
    if (violations_json.size() > 1) violations_json += ",";
    json::AppendQuoted(violations_json, violation);
  }
  violations_json += "]";
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(trace_hash));
  const std::string mails = json::ObjectWriter()
                                .Uint("sent", mails_sent)
                                .Uint("acked", mails_acked)
                                .Uint("kept", mails_kept)
                                .Uint("lost", mails_lost)
                                .Uint("duplicated", duplicates_documented)
                                .Uint("duplicated_unexplained", duplicates_unexplained)
                                .Uint("rejected", mails_rejected)
                                .Finish();
  const std::string faults = json::ObjectWriter()
                                 .Uint("crashes", crashes)
                                 .Uint("power_losses", power_losses)
                                 .Uint("torn_power_losses", torn_power_losses)
                                 .Uint("disk_full_periods", disk_full_periods)
                                 .Uint("fsync_failure_periods", sync_failure_periods)
                                 .Uint("partitions_or_clogs", partitions)
                                 .Uint("bad_links", bad_links)
                                 .Finish();
  const std::string sometimes = json::ObjectWriter()
                                    .Uint("disk_full_refusals", disk_full_refusals)
                                    .Uint("temporary_failures", temporary_failures)
                                    .Uint("sessions_cut", sessions_cut)
                                    .Uint("connect_failures", connect_failures)
                                    .Uint("reply_timeouts", reply_timeouts)
                                    .Uint("connection_resets", connection_resets)
                                    .Uint("retransmitted_segments", retransmitted_segments)
                                    .Finish();
  return json::ObjectWriter()
             .String("scenario", scenario)
             .Uint("seed", seed)
             .Bool("ok", ok())
             .Double("virtual_seconds", virtual_seconds)
             .Uint("events", events)
             .String("trace_hash", hash)
             .Raw("mails", mails)
             .Raw("faults", faults)
             .Raw("sometimes", sometimes)
             .Bool("drained", drained)
             .Bool("state_hash_matches", state_hash_matches)
             .Raw("routing", RoutingJson())
             .Raw("acked_per_minute", flow_json)
             .Raw("timeline", timeline_json)
             .Raw("violations", violations_json)
             .Finish() +
         "\n";
}

SimulationReport RunSimulation(const SimulationOptions& options) {
  return Run(options).Go();
}

std::string SimulationReport::ToText() const {
  char line[512];
  std::string text;
  std::snprintf(
      line, sizeof(line),
      "%s%sseed %llu: %s, %.0f virtual s, %llu events, trace %016llx\n"
      "  mail: %llu sent, %llu acked, %llu kept, %llu lost, %llu duplicated "
      "(sender retries), %llu unexplained duplicates, %llu rejected\n",
      scenario.c_str(), scenario.empty() ? "" : " ", static_cast<unsigned long long>(seed),
      ok() ? "ok" : "FAILED", virtual_seconds, static_cast<unsigned long long>(events),
      static_cast<unsigned long long>(trace_hash), static_cast<unsigned long long>(mails_sent),
      static_cast<unsigned long long>(mails_acked), static_cast<unsigned long long>(mails_kept),
      static_cast<unsigned long long>(mails_lost),
      static_cast<unsigned long long>(duplicates_documented),
      static_cast<unsigned long long>(duplicates_unexplained),
      static_cast<unsigned long long>(mails_rejected));
  text += line;
  std::snprintf(
      line, sizeof(line),
      "  faults: %llu crashes, %llu power losses (%llu torn), %llu disk-full periods, "
      "%llu fsync-failure periods, %llu partitions or clogs, %llu lossy links\n"
      "  sometimes: %llu disk-full refusals, %llu other 4xx, %llu sessions cut, "
      "%llu connects failed, %llu reply timeouts, %llu resets, %llu retransmits\n",
      static_cast<unsigned long long>(crashes), static_cast<unsigned long long>(power_losses),
      static_cast<unsigned long long>(torn_power_losses),
      static_cast<unsigned long long>(disk_full_periods),
      static_cast<unsigned long long>(sync_failure_periods),
      static_cast<unsigned long long>(partitions), static_cast<unsigned long long>(bad_links),
      static_cast<unsigned long long>(disk_full_refusals),
      static_cast<unsigned long long>(temporary_failures - disk_full_refusals),
      static_cast<unsigned long long>(sessions_cut),
      static_cast<unsigned long long>(connect_failures),
      static_cast<unsigned long long>(reply_timeouts),
      static_cast<unsigned long long>(connection_resets),
      static_cast<unsigned long long>(retransmitted_segments));
  text += line;
  if (primary) {
    std::snprintf(line, sizeof(line),
                  "  routing: %llu primary outages or flaps, %llu failovers, %llu failbacks",
                  static_cast<unsigned long long>(primary_outages),
                  static_cast<unsigned long long>(failovers),
                  static_cast<unsigned long long>(failbacks));
    text += line;
    if (first_detection_seconds >= 0) {
      std::snprintf(line, sizeof(line), ", first outage detected in %.1f s",
                    first_detection_seconds);
      text += line;
    }
    text += "\n";
  }
  if (!scenario.empty()) {
    // A scheduled run is read as a story: what happened when, and the mail flow around it.
    for (const TimelineEntry& entry : timeline) {
      std::snprintf(line, sizeof(line), "  %7.1f s  %s\n", entry.at_seconds, entry.what.c_str());
      text += line;
    }
    text += "  250s per minute:";
    for (uint64_t acked : acked_per_minute) text += " " + std::to_string(acked);
    text += "\n";
    if (primary) text += DrillSummary();
  }
  for (size_t i = 0; i < violations.size() && i < 10; ++i) {
    text += "  violation: " + violations[i] + "\n";
  }
  if (violations.size() > 10) {
    text += "  ... " + std::to_string(violations.size() - 10) + " more violations\n";
  }
  if (!ok()) {
    text += "  replay: lifeboat sim " +
            (scenario.empty() ? std::string() : "--scenario FILE (" + scenario + ") ") + "--seed " +
            std::to_string(seed) + "\n";
  }
  return text;
}

}  // namespace lifeboat::simulator
