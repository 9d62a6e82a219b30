#pragma once
// One simulated world (issue #14; FoundationDB's simulation, TigerBeetle's VOPR): one virtual
// clock and one seeded event queue that every node, disk and link of a simulation runs on.
//
// Everything a node does is an event in that queue: a timer firing, the loop running a posted
// closure, a serial executor's next task, an off-loop work item, a packet arriving. Events run one
// at a time on the caller's thread, in (virtual time, seeded tie-break) order. Nothing reads the
// real clock, real threads' timing or a global random source, so one seed and one commit replay
// exactly, and the trace hash (every event run, hashed in order) proves it.
//
// SimEnv is a node's Env on the world. Ordering promises of env.h are kept with lanes: the
// closures posted to a node's loop form one FIFO lane, each serial executor another, and the world
// runs the head of a lane as one event, so order within a lane holds while the interleaving of
// lanes (the loop against the storage thread against the projection worker) comes from the seed.
//
// After each event the world runs its "after event" hooks: a simulated disk runs there the work
// LevelDB handed to Env::Schedule during the event (sim_disk.h says why never inline).
//
// Crash: SimEnv::Halt() drops everything the node had queued or armed (a dead process's timers,
// posts and threads do not run) and starts a new generation for the restart.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "appliance/env/env.h"

namespace lifeboat::simulator {

// SplitMix64 (Steele, Lea, Flood 2014): small, seeded, and the same on every platform.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, bound); bound > 0. (Modulo bias is irrelevant at the bounds used here.)
  uint64_t Below(uint64_t bound) { return Next() % bound; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }

 private:
  uint64_t state_;
};

// FNV-1a, 64 bits: the trace hash and names turned into seeds.
uint64_t Fnv1a(std::string_view bytes, uint64_t hash = 0xcbf29ce484222325ull);

class World {
 public:
  using EventId = uint64_t;

  explicit World(uint64_t seed, WallTime wall_start = WallTime(1'700'000'000'000'000));
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  uint64_t seed() const { return seed_; }
  MonoTime now() const { return now_; }
  WallTime wall_start() const { return wall_start_; }
  // The world's own stream (network delays, faults): separate from the nodes' streams so that a
  // node drawing one more random number does not shift every fault after it.
  SplitMix64& random() { return random_; }

  // Runs `event` `after` from now. `label` names it in the trace ("n1/timer"). Events due at the
  // same time run in a seeded order.
  EventId Schedule(Duration after, std::string_view label, std::function<void()> event);
  // No-op for an event that ran or was cancelled.
  void Cancel(EventId id);

  // Runs the next event (advancing the clock to it) and the after-event hooks; false when the
  // queue is empty.
  bool Step();
  // Runs every event due within `span`, then sets the clock to now + span.
  void RunFor(Duration span);
  // Runs events until `done()` holds (checked after each event); false if `bound` of virtual time
  // passed or the queue emptied first.
  bool RunUntil(const std::function<bool()>& done, Duration bound);

  // Runs `hook` after every event until removed. Returns its id for RemoveAfterEventHook.
  uint64_t AddAfterEventHook(std::function<void()> hook);
  void RemoveAfterEventHook(uint64_t id) { hooks_.erase(id); }

  uint64_t trace_hash() const { return trace_hash_; }
  uint64_t events_run() const { return events_run_; }
  size_t pending_events() const { return queue_.size(); }

 private:
  // (due, seeded tie-break, id): the id makes the key unique and keeps replay exact.
  using Key = std::tuple<MonoTime, uint64_t, EventId>;
  struct Entry {
    std::string label;
    std::function<void()> event;
  };

  const uint64_t seed_;
  const WallTime wall_start_;
  MonoTime now_{0};
  SplitMix64 random_;
  SplitMix64 tie_break_;
  EventId next_id_ = 1;
  std::map<Key, Entry> queue_;
  std::map<EventId, Key> keys_;  // for Cancel
  std::map<uint64_t, std::function<void()>> hooks_;
  uint64_t next_hook_id_ = 1;
  uint64_t trace_hash_ = 0xcbf29ce484222325ull;
  uint64_t events_run_ = 0;
};

// A node's Env on the world. `name` labels its events and seeds its random stream.
class SimEnv : public Env {
 public:
  // Off-loop work and executor tasks take a seeded virtual time up to this before they run
  // (storage latency, a worker's turn), so that the loop can get ahead of them.
  static constexpr Duration kWorkDelayMax = std::chrono::microseconds(2000);

  SimEnv(World& world, std::string name);
  ~SimEnv() override;

  MonoTime MonotonicNow() override;
  WallTime WallNow() override;
  TimerId StartTimer(Duration after, std::function<void()> callback) override;
  void CancelTimer(TimerId id) override;
  uint64_t RandomU64() override;
  void Post(std::function<void()> closure) override;
  Network& network() override;
  void RunOffLoop(std::function<void()> work, std::function<void()> then_on_loop) override;
  std::unique_ptr<SerialExecutor> NewSerialExecutor(std::string name) override;

  // The network this node reaches (sim_network.h); until set, the default empty one.
  void set_network(Network* network) { network_ = network; }
  // A clock step for this node's wall clock only (NTP jump); monotonic time is untouched.
  void set_wall_offset(Duration offset) { wall_offset_ = offset; }

  // The process died: nothing it queued, armed or posted runs any more. Executors made before
  // stay usable as objects (their owners destroy them) but their queued tasks are dropped.
  void Halt();

  World& world() { return world_; }
  const std::string& name() const { return name_; }

  // A FIFO of closures run one per world event (the loop's posts, one executor's tasks).
  class Lane;

 private:
  World& world_;
  const std::string name_;
  SplitMix64 random_;
  Network* network_ = nullptr;
  Duration wall_offset_{0};
  // Shared with events and executors: an event of an older generation does nothing.
  std::shared_ptr<uint64_t> generation_;
  // The lanes' virtual delays: a stream apart from RandomU64, which the node's code draws from.
  std::shared_ptr<SplitMix64> schedule_random_;
  std::shared_ptr<Lane> loop_;
};

}  // namespace lifeboat::simulator
