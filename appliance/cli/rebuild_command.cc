// lifeboat rebuild [--config FILE]: wipe state/ and fold the whole log again; prints the state
// hash, which must equal the hash of the incrementally built state (DESIGN.md: a projection is
// rebuildable from the log, byte for byte). Refuses while the node runs (it holds the log LOCK).
// On a terminal, stderr shows the replay's progress on one line (progress_line.h).
#include <cstdio>

#include "appliance/cli/cli.h"
#include "appliance/cli/progress_line.h"
#include "appliance/env/libevent_env.h"
#include "appliance/node.h"
#include "appliance/projection_list.h"
#include "eventlog/log_store.h"
#include "eventlog/projection_runner.h"

namespace lifeboat::cli {

int RebuildCommand(const Args& arguments) {
  Args args = arguments;
  auto config_flag = TakeOption(args, "--config");
  if (!config_flag.ok()) return UsageError(config_flag.status().message());
  if (!args.empty()) return UsageError("rebuild: unexpected argument \"" + args.front() + "\"");
  auto config = LoadConfig(*config_flag);
  if (!config.ok()) return Fail(config.status().message());
  auto log = OpenLogOffline(*config);
  if (!log.ok()) return Fail("rebuild: " + log.status().message());
  NodeProjections projections = MakeProjections(config->smtp.domains);
  eventlog::ProjectionRunnerOptions options;
  options.path = config->node.data_dir + "/" + std::string(kStateDirName);
  // The production Env: its clock for the progress line, its executor to read the log ahead.
  auto env = LibeventEnv::Create();
  if (!env.ok()) return Fail("rebuild: " + env.status().ToString());
  options.read_ahead_env = env->get();
  ProgressLine progress = ProgressLine::ForTerminal(stderr, **env);
  const uint64_t total = (*log)->last_index();
  eventlog::ProjectionRunner::BatchCommitted on_batch;
  if (progress.enabled()) {
    progress.Update("rebuild: " + ReplayProgressText(0, total, Duration::zero()));
    on_batch = [&progress, total](uint64_t applied) {
      progress.Update("rebuild: " + ReplayProgressText(applied, total, progress.Elapsed()));
      return true;
    };
  }
  auto hash = eventlog::Rebuild(**log, options, projections.pointers(), std::nullopt, on_batch);
  progress.Clear();
  if (!hash.ok()) return Fail("rebuild: " + hash.status().ToString());
  std::printf("rebuilt %s from log %llu..%llu\nstate hash %s\n", options.path.c_str(),
              static_cast<unsigned long long>((*log)->first_index()),
              static_cast<unsigned long long>((*log)->last_index()), hash->c_str());
  return kExitOk;
}

}  // namespace lifeboat::cli
