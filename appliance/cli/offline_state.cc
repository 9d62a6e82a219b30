#include "appliance/cli/offline_state.h"

#include "appliance/node.h"

namespace lifeboat::cli {

Result<std::unique_ptr<OfflineState>> OfflineState::Open(const config::Config& config) {
  std::unique_ptr<OfflineState> opened(new OfflineState());
  auto log = OpenLogOffline(config);
  if (!log.ok()) return log.status();
  opened->log_ = std::move(log).value();
  opened->bodies_ = std::make_unique<LogMailBodies>(*opened->log_);
  opened->projections_ = MakeProjections(config.smtp.domains);
  eventlog::ProjectionRunnerOptions options;
  options.path = config.node.data_dir + "/" + std::string(kStateDirName);
  auto runner = eventlog::ProjectionRunner::Open(options, opened->projections_.pointers());
  if (!runner.ok()) {
    return Status(runner.status().code(), "cannot open the state " + options.path + ": " +
                                              runner.status().message() +
                                              " (`lifeboat rebuild` rebuilds it from the log)");
  }
  opened->runner_ = std::move(runner).value();
  LB_RETURN_IF_ERROR(RestoreProjections(opened->projections_, *opened->runner_));
  opened->applied_index_on_disk_ = opened->runner_->applied_index();
  Status caught_up = opened->runner_->ApplyThrough(*opened->log_, opened->log_->last_index());
  if (!caught_up.ok()) {
    return Status(caught_up.code(), "projections cannot fold the log: " + caught_up.message() +
                                        " (`lifeboat rebuild` rebuilds the state)");
  }
  return opened;
}

}  // namespace lifeboat::cli
