#include "simulator/world.h"

#include <algorithm>
#include <utility>

#include "appliance/env/check.h"

namespace lifeboat::simulator {

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t Fnv1a(std::string_view bytes, uint64_t hash) {
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

World::World(uint64_t seed, WallTime wall_start)
    : seed_(seed),
      wall_start_(wall_start),
      random_(Fnv1a("world", seed)),
      tie_break_(Fnv1a("tie-break", seed)) {}

World::EventId World::Schedule(Duration after, std::string_view label,
                               std::function<void()> event) {
  LB_CHECK(after >= Duration::zero());
  LB_CHECK(event != nullptr);
  const EventId id = next_id_++;
  const Key key{now_ + after, tie_break_.Next(), id};
  queue_.emplace(key, Entry{std::string(label), std::move(event)});
  keys_.emplace(id, key);
  return id;
}

uint64_t World::AddAfterEventHook(std::function<void()> hook) {
  const uint64_t id = next_hook_id_++;
  hooks_.emplace(id, std::move(hook));
  return id;
}

void World::Cancel(EventId id) {
  auto it = keys_.find(id);
  if (it == keys_.end()) return;
  queue_.erase(it->second);
  keys_.erase(it);
}

bool World::Step() {
  if (queue_.empty()) return false;
  auto it = queue_.begin();
  const auto [due, tie, id] = it->first;
  now_ = std::max(now_, due);
  Entry entry = std::move(it->second);
  queue_.erase(it);
  keys_.erase(id);
  const int64_t at = now_.count();
  trace_hash_ =
      Fnv1a(std::string_view(reinterpret_cast<const char*>(&at), sizeof(at)), trace_hash_);
  trace_hash_ = Fnv1a(entry.label, trace_hash_);
  ++events_run_;
  entry.event();
  for (const auto& [hook_id, hook] : hooks_) hook();
  return true;
}

void World::RunFor(Duration span) {
  LB_CHECK(span >= Duration::zero());
  const MonoTime target = now_ + span;
  while (!queue_.empty() && std::get<0>(queue_.begin()->first) <= target) Step();
  now_ = std::max(now_, target);
}

bool World::RunUntil(const std::function<bool()>& done, Duration bound) {
  const MonoTime deadline = now_ + bound;
  while (!done()) {
    if (queue_.empty() || std::get<0>(queue_.begin()->first) > deadline) {
      now_ = std::max(now_, deadline);
      return done();
    }
    Step();
  }
  return true;
}

// One FIFO whose head runs as one world event at a time. Events hold it by shared_ptr, so an
// executor destroyed with an event still queued leaves nothing dangling.
class SimEnv::Lane : public std::enable_shared_from_this<SimEnv::Lane> {
 public:
  Lane(World& world, std::string label, std::shared_ptr<uint64_t> generation,
       std::shared_ptr<SplitMix64> random, Duration delay_max)
      : world_(world),
        label_(std::move(label)),
        generation_(std::move(generation)),
        random_(std::move(random)),
        delay_max_(delay_max) {}

  void Push(std::function<void()> task) {
    LB_CHECK(task != nullptr);
    tasks_.push_back({*generation_, std::move(task)});
    if (!scheduled_) ScheduleNext();
  }

  // Runs every queued task of the current generation (and what they queue) here and now.
  void Drain() {
    while (!tasks_.empty()) RunHead();
  }

 private:
  struct Task {
    uint64_t generation = 0;
    std::function<void()> run;
  };

  void ScheduleNext() {
    scheduled_ = true;
    const Duration delay = delay_max_ == Duration::zero()
                               ? Duration::zero()
                               : Duration(random_->Below(delay_max_.count() + 1));
    world_.Schedule(delay, label_, [self = shared_from_this()] {
      self->scheduled_ = false;
      if (!self->tasks_.empty()) self->RunHead();
      if (!self->tasks_.empty() && !self->scheduled_) self->ScheduleNext();
    });
  }

  void RunHead() {
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    if (task.generation == *generation_) task.run();  // else: queued by a process that died
  }

  World& world_;
  const std::string label_;
  std::shared_ptr<uint64_t> generation_;
  std::shared_ptr<SplitMix64> random_;
  const Duration delay_max_;
  std::deque<Task> tasks_;
  bool scheduled_ = false;
};

namespace {

class SimSerialExecutor final : public SerialExecutor {
 public:
  explicit SimSerialExecutor(std::shared_ptr<SimEnv::Lane> lane) : lane_(std::move(lane)) {}
  ~SimSerialExecutor() override { Shutdown(); }
  void Submit(std::function<void()> task) override {
    LB_CHECK(!shut_down_);  // env.h: no Submit after Shutdown() returned
    lane_->Push(std::move(task));
  }
  void Shutdown() override {
    lane_->Drain();
    shut_down_ = true;
  }

 private:
  std::shared_ptr<SimEnv::Lane> lane_;
  bool shut_down_ = false;
};

}  // namespace

SimEnv::SimEnv(World& world, std::string name)
    : world_(world),
      name_(std::move(name)),
      random_(Fnv1a(name_, world.seed())),
      generation_(std::make_shared<uint64_t>(1)),
      schedule_random_(std::make_shared<SplitMix64>(Fnv1a(name_ + "/schedule", world.seed()))),
      loop_(std::make_shared<Lane>(world, name_ + "/post", generation_, schedule_random_,
                                   Duration::zero())) {}

SimEnv::~SimEnv() {
  ++*generation_;  // events still queued in the world find a dead node
}

MonoTime SimEnv::MonotonicNow() {
  return world_.now();
}

WallTime SimEnv::WallNow() {
  return world_.wall_start() + std::chrono::duration_cast<WallTime>(world_.now() + wall_offset_);
}

TimerId SimEnv::StartTimer(Duration after, std::function<void()> callback) {
  return world_.Schedule(
      after, name_ + "/timer",
      [generation = generation_, current = *generation_, callback = std::move(callback)] {
        if (*generation == current) callback();
      });
}

void SimEnv::CancelTimer(TimerId id) {
  world_.Cancel(id);
}

uint64_t SimEnv::RandomU64() {
  return random_.Next();
}

void SimEnv::Post(std::function<void()> closure) {
  loop_->Push(std::move(closure));
}

Network& SimEnv::network() {
  return network_ != nullptr ? *network_ : Env::network();
}

void SimEnv::RunOffLoop(std::function<void()> work, std::function<void()> then_on_loop) {
  LB_CHECK(work != nullptr);
  const Duration delay(schedule_random_->Below(kWorkDelayMax.count() + 1));
  world_.Schedule(delay, name_ + "/work",
                  [this, generation = generation_, current = *generation_, work = std::move(work),
                   then_on_loop = std::move(then_on_loop)]() mutable {
                    if (*generation != current) return;
                    work();
                    if (then_on_loop != nullptr) Post(std::move(then_on_loop));
                  });
}

std::unique_ptr<SerialExecutor> SimEnv::NewSerialExecutor(std::string name) {
  return std::make_unique<SimSerialExecutor>(std::make_shared<Lane>(
      world_, name_ + "/" + name, generation_, schedule_random_, kWorkDelayMax));
}

void SimEnv::Halt() {
  ++*generation_;
}

}  // namespace lifeboat::simulator
