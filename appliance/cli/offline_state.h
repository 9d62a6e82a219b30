#pragma once
// A stopped node's state, opened by the CLI for reading (`lifeboat mailbox`, `lifeboat
// directory`): the log (through OpenLogOffline, so never while a node holds it), the `state`
// LevelDB with the node's projection list, and the in-memory directory refilled from it.
//
// The state may trail the log (state writes are not synced, projection_runner.h): Open folds the
// missing suffix first, exactly as the node does when it starts. That writes derived state only;
// the log is never written, so no fact changes.

#include <memory>

#include "appliance/cli/cli.h"
#include "appliance/log_mail_bodies.h"
#include "appliance/projection_list.h"
#include "eventlog/log_store.h"
#include "eventlog/projection_runner.h"

namespace lifeboat::cli {

class OfflineState {
 public:
  // FailedPrecondition when a node runs on the data dir; NotFound when it never ran.
  static Result<std::unique_ptr<OfflineState>> Open(const config::Config& config);

  const directory::DirectoryView& directory() const { return *projections_.directory_view; }
  const eventlog::StateReader& state() const { return *runner_; }
  const mailbox::MailBodySource& bodies() const { return *bodies_; }
  const eventlog::LogStore& log() const { return *log_; }
  // The index the state on disk had applied when opened, before Open folded the log's suffix:
  // how far the stopped node's projections had come (`lifeboat status`).
  uint64_t applied_index_on_disk() const { return applied_index_on_disk_; }

 private:
  OfflineState() = default;

  std::unique_ptr<eventlog::LogStore> log_;
  std::unique_ptr<LogMailBodies> bodies_;  // reads log_
  // Before runner_: the runner points at the projections and goes first.
  NodeProjections projections_;
  std::unique_ptr<eventlog::ProjectionRunner> runner_;
  uint64_t applied_index_on_disk_ = 0;
};

}  // namespace lifeboat::cli
