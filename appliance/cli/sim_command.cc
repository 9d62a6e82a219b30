// lifeboat sim: runs the failover-drill simulator (simulator/simulation.h) for one seed, printing
// its report, or for a range of seeds (a swarm) on J processes, printing the failing seeds and
// how to replay one. Exit 0 when every seed ran without a violation, 1 otherwise. A scenario file
// (simulator/scenario.h) sets the duration, the mail and the fault schedule. `--cluster` runs the
// three-node Raft cluster instead (simulator/cluster_simulation.h).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "appliance/cli/cli.h"
#include "simulator/cluster_simulation.h"
#include "simulator/scenario.h"
#include "simulator/simulation.h"

namespace lifeboat::cli {
namespace {

constexpr uint64_t kJobsMax = 64;

bool ParseNumber(const std::string& text, uint64_t* value) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  *value = std::strtoull(text.c_str(), nullptr, 10);
  return true;
}

// What a swarm's worker reports per seed, one line: "<seed> <ok> <acked> <kept> <lost> <dups>
// <faults>".
struct SeedLine {
  uint64_t seed = 0, ok = 0, acked = 0, kept = 0, lost = 0, duplicates = 0, faults = 0;
};

std::string ToLine(const simulator::SimulationReport& report) {
  return std::to_string(report.seed) + " " + (report.ok() ? "1" : "0") + " " +
         std::to_string(report.mails_acked) + " " + std::to_string(report.mails_kept) + " " +
         std::to_string(report.mails_lost) + " " + std::to_string(report.duplicates_documented) +
         " " +
         std::to_string(report.crashes + report.power_losses + report.disk_full_periods +
                        report.sync_failure_periods + report.partitions + report.bad_links) +
         "\n";
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  return static_cast<bool>(file.flush());
}

int RunOne(const simulator::SimulationOptions& options, const std::string& json_path,
           const std::string& svg_path) {
  simulator::SimulationReport report = simulator::RunSimulation(options);
  std::fputs(report.ToText().c_str(), stdout);
  if (!json_path.empty() && !WriteFile(json_path, report.ToJson())) {
    return Fail("sim: cannot write " + json_path);
  }
  if (!svg_path.empty() && !WriteFile(svg_path, report.ToSvg())) {
    return Fail("sim: cannot write " + svg_path);
  }
  return report.ok() ? kExitOk : kExitError;
}

// Runs seeds first..last on `jobs` processes (seed s on worker s mod jobs). A failing seed's full
// report goes to stdout as it happens; the summary follows.
std::string ToLine(const simulator::ClusterSimulationReport& report) {
  return std::to_string(report.seed) + " " + (report.ok() ? "1" : "0") + " " +
         std::to_string(report.mails_acked) + " " + std::to_string(report.mails_kept) + " " +
         std::to_string(report.mails_lost) + " " + std::to_string(report.duplicates_documented) +
         " " +
         std::to_string(report.crashes + report.power_losses + report.partitions +
                        report.fsync_failure_periods + report.disk_full_periods +
                        report.lossy_periods) +
         "\n";
}

// One seed's run as a swarm worker reports it: its ToLine, and its text when it failed.
struct SeedRun {
  std::string line;
  std::string failure_text;
};
using RunSeed = std::function<SeedRun(uint64_t seed)>;

int RunSwarm(const RunSeed& run_seed, uint64_t first, uint64_t last, uint64_t jobs,
             const std::string& replay) {
  std::vector<std::pair<pid_t, int>> workers;
  for (uint64_t job = 0; job < jobs; ++job) {
    int fds[2];
    if (pipe(fds) != 0) return Fail("pipe failed");
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid < 0) return Fail("fork failed");
    if (pid == 0) {
      close(fds[0]);
      for (uint64_t seed = first + job; seed <= last; seed += jobs) {
        const SeedRun run = run_seed(seed);
        if (!run.failure_text.empty()) {
          std::fputs(run.failure_text.c_str(), stdout);
          std::fflush(stdout);
        }
        const std::string& line = run.line;
        if (write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(3);
      }
      _exit(0);
    }
    close(fds[1]);
    workers.emplace_back(pid, fds[0]);
  }
  std::vector<SeedLine> seeds;
  for (auto& [pid, fd] : workers) {
    std::string text;
    char buffer[4096];
    for (ssize_t got; (got = read(fd, buffer, sizeof(buffer))) > 0;) text.append(buffer, got);
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
    size_t start = 0;
    for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
      SeedLine line;
      if (std::sscanf(text.c_str() + start, "%lu %lu %lu %lu %lu %lu %lu", &line.seed, &line.ok,
                      &line.acked, &line.kept, &line.lost, &line.duplicates, &line.faults) == 7) {
        seeds.push_back(line);
      }
    }
  }
  SeedLine total;
  std::vector<uint64_t> failed;
  for (const SeedLine& line : seeds) {
    total.acked += line.acked;
    total.kept += line.kept;
    total.lost += line.lost;
    total.duplicates += line.duplicates;
    total.faults += line.faults;
    if (line.ok == 0) failed.push_back(line.seed);
  }
  const uint64_t missing = (last - first + 1) - seeds.size();
  std::printf(
      "swarm seeds %lu..%lu: %zu ran, %zu failed, %lu did not finish; %lu mails acked, %lu kept, "
      "%lu lost, %lu duplicated by sender retries; %lu faults\n",
      first, last, seeds.size(), failed.size(), missing, total.acked, total.kept, total.lost,
      total.duplicates, total.faults);
  if (!failed.empty()) {
    std::string list;
    for (size_t i = 0; i < failed.size() && i < 50; ++i) list += " " + std::to_string(failed[i]);
    std::printf("failing seeds:%s%s\nreplay one: lifeboat sim %s--seed %lu\n", list.c_str(),
                failed.size() > 50 ? " ..." : "", replay.c_str(), failed.front());
  }
  return failed.empty() && missing == 0 ? kExitOk : kExitError;
}

}  // namespace

int SimCommand(const Args& arguments) {
  Args args = arguments;
  auto seed = TakeOption(args, "--seed");
  auto seeds = TakeOption(args, "--seeds");
  auto minutes = TakeOption(args, "--minutes");
  auto jobs = TakeOption(args, "--jobs");
  auto scenario = TakeOption(args, "--scenario");
  auto json = TakeOption(args, "--json");
  auto svg = TakeOption(args, "--svg");
  const bool cluster = TakeFlag(args, "--cluster");
  for (const auto* option : {&seed, &seeds, &minutes, &jobs, &scenario, &json, &svg}) {
    if (!option->ok()) return UsageError(option->status().message());
  }
  if (!args.empty()) return UsageError("sim: unexpected argument \"" + args.front() + "\"");
  simulator::SimulationOptions options;
  if (scenario->has_value()) {
    Result<simulator::SimulationOptions> loaded = simulator::LoadScenario(**scenario);
    if (!loaded.ok()) return Fail(loaded.status().message());
    options = std::move(loaded).value();
  }
  if (minutes->has_value()) {
    uint64_t value = 0;
    if (!ParseNumber(**minutes, &value) || value == 0) {
      return UsageError("sim: --minutes takes a positive number");
    }
    options.duration = std::chrono::minutes(value);
  }
  if (seed->has_value() == seeds->has_value()) {
    return UsageError("sim: give either --seed N or --seeds A..B");
  }
  if (cluster && (scenario->has_value() || json->has_value() || svg->has_value())) {
    return UsageError("sim: --cluster takes no --scenario, --json or --svg yet");
  }
  simulator::ClusterSimulationOptions cluster_options;
  cluster_options.duration = options.duration;
  if (seed->has_value()) {
    if (!ParseNumber(**seed, &options.seed)) return UsageError("sim: --seed takes a number");
    if (cluster) {
      cluster_options.seed = options.seed;
      const simulator::ClusterSimulationReport report =
          simulator::RunClusterSimulation(cluster_options);
      std::fputs(report.ToText().c_str(), stdout);
      return report.ok() ? kExitOk : kExitError;
    }
    return RunOne(options, json->has_value() ? **json : std::string(),
                  svg->has_value() ? **svg : std::string());
  }
  if (json->has_value() || svg->has_value()) {
    return UsageError("sim: --json and --svg go with --seed");
  }
  const std::string& range = **seeds;
  const size_t dots = range.find("..");
  uint64_t first = 0;
  uint64_t last = 0;
  if (dots == std::string::npos || !ParseNumber(range.substr(0, dots), &first) ||
      !ParseNumber(range.substr(dots + 2), &last) || last < first) {
    return UsageError("sim: --seeds takes A..B with A <= B");
  }
  uint64_t job_count = 1;
  if (jobs->has_value() &&
      (!ParseNumber(**jobs, &job_count) || job_count == 0 || job_count > kJobsMax)) {
    return UsageError("sim: --jobs takes 1.." + std::to_string(kJobsMax));
  }
  job_count = std::min(job_count, last - first + 1);
  if (cluster) {
    return RunSwarm(
        [&cluster_options](uint64_t seed) {
          simulator::ClusterSimulationOptions one = cluster_options;
          one.seed = seed;
          const simulator::ClusterSimulationReport report = simulator::RunClusterSimulation(one);
          return SeedRun{ToLine(report), report.ok() ? std::string() : report.ToText()};
        },
        first, last, job_count, "--cluster ");
  }
  return RunSwarm(
      [&options](uint64_t seed) {
        simulator::SimulationOptions one = options;
        one.seed = seed;
        const simulator::SimulationReport report = simulator::RunSimulation(one);
        return SeedRun{ToLine(report), report.ok() ? std::string() : report.ToText()};
      },
      first, last, job_count, "");
}

}  // namespace lifeboat::cli
