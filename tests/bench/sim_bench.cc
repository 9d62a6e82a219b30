// The simulator's speed (issue #14: simulated seconds per wall second, target >= 100): seeds of
// the first simulation (simulator/simulation.h: one node under seeded faults, 3 internet senders,
// 10 virtual minutes plus the drain), run one after another on one core. Prints one JSON line per
// figure. Then the same for the three-node Raft cluster (simulator/cluster_simulation.h: 3 mail
// clients, seeded faults, 10 virtual minutes, the drain and a whole-cluster power cut): the
// issue's figure. CPU seconds are printed beside wall seconds: the machine is shared.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "simulator/cluster_simulation.h"
#include "simulator/simulation.h"

namespace {

constexpr uint64_t kSeeds = 20;
constexpr double kTargetSpeedMin = 100;  // virtual seconds per wall second
// tests/run's budget: 500 seeds in 5 minutes.
constexpr double kTargetSecondsPerSeedMax = 300.0 / 500;

}  // namespace

int main(int argc, char** argv) {
  const uint64_t seeds = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : kSeeds;
  double virtual_seconds = 0;
  uint64_t failed = 0;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    lifeboat::simulator::SimulationOptions options;
    options.seed = seed;
    const lifeboat::simulator::SimulationReport report =
        lifeboat::simulator::RunSimulation(options);
    virtual_seconds += report.virtual_seconds;
    failed += report.ok() ? 0 : 1;
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "sim_bench: %llu seeds, %llu failed, %.0f virtual s in %.1f wall s\n",
               static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(failed),
               virtual_seconds, wall);
  std::printf(
      "{\"name\":\"sim_single_node_speed\",\"value\":%.0f,\"unit\":\"virtual s/wall s\","
      "\"target_min\":%.0f}\n",
      virtual_seconds / wall, kTargetSpeedMin);
  std::printf(
      "{\"name\":\"sim_seconds_per_10min_seed\",\"value\":%.3f,\"unit\":\"s\","
      "\"target_max\":%.1f}\n",
      wall / seeds, kTargetSecondsPerSeedMax);
  double cluster_virtual_seconds = 0;
  const std::clock_t cluster_cpu_start = std::clock();
  const auto cluster_start = std::chrono::steady_clock::now();
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    lifeboat::simulator::ClusterSimulationOptions options;
    options.seed = seed;
    const lifeboat::simulator::ClusterSimulationReport report =
        lifeboat::simulator::RunClusterSimulation(options);
    cluster_virtual_seconds += report.virtual_seconds;
    failed += report.ok() ? 0 : 1;
  }
  const double cluster_wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - cluster_start).count();
  const double cluster_cpu = static_cast<double>(std::clock() - cluster_cpu_start) / CLOCKS_PER_SEC;
  std::fprintf(
      stderr, "sim_bench: cluster: %llu seeds, %.0f virtual s in %.1f wall s, %.1f CPU s\n",
      static_cast<unsigned long long>(seeds), cluster_virtual_seconds, cluster_wall, cluster_cpu);
  std::printf(
      "{\"name\":\"sim_cluster_3_nodes_speed\",\"value\":%.0f,\"unit\":\"virtual s/wall s\","
      "\"target_min\":%.0f}\n",
      cluster_virtual_seconds / cluster_wall, kTargetSpeedMin);
  std::printf(
      "{\"name\":\"sim_cluster_seconds_per_10min_seed\",\"value\":%.3f,\"unit\":\"s\","
      "\"target_max\":%.1f}\n",
      cluster_wall / seeds, kTargetSecondsPerSeedMax * 2);
  std::printf(
      "{\"name\":\"sim_cluster_cpu_seconds_per_10min_seed\",\"value\":%.3f,\"unit\":\"s\","
      "\"target_max\":%.1f}\n",
      cluster_cpu / seeds, kTargetSecondsPerSeedMax * 2);
  return failed == 0 ? 0 : 1;
}
