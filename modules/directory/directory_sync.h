#pragma once
// The directory sync loop: what the node runs to keep the directory projection in step with
// AD / LDAP. One sync = fetch (LdapSource, blocking, on the sync's serial executor
// "lb-dir-sync", Env::NewSerialExecutor) -> ComputeSync against the view's snapshot (same task) ->
// propose the events in order (loop thread). The next sync
// starts only after every event of the previous one is durable, so the snapshot it diffs against
// already holds them (the projection applies committed events before the loop runs again).
//
// When the directory is down the fetch fails, nothing is proposed and the last synced state keeps
// serving (DESIGN.md "Directory": that is the point); status() reports the error and the age of
// the last success. After a restart the cookie of the last committed DirectorySyncCompleted
// (DirectoryProjection::LastSync) resumes the incremental sync where it stopped.
//
// Wiring (node, loop thread):
//   DirectoryView view(accepted_domains);               // give to the SMTP policy chain
//   DirectoryProjection projection(view);               // register with the projection runner
//   LdapSource source(env, ldap_options);
//   DirectorySync sync(env, source, view, projection, proposer, sync_options);
//   sync.Start();                                       // periodic; SyncNow() for the CLI
//   ... sync.Stop() before destroying it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "appliance/env/env.h"
#include "eventlog/proposer.h"
#include "modules/directory/directory_projection.h"
#include "modules/directory/directory_view.h"
#include "modules/directory/ldap_source.h"
#include "modules/directory/sync_core.h"

namespace lifeboat::directory {

struct DirectorySyncOptions {
  SyncOptions sync;                                   // source name, guard thresholds
  Duration interval = std::chrono::minutes(5);        // between the end of one sync and the next
  Duration retry_interval = std::chrono::minutes(1);  // after a failed sync
  // Every Nth periodic sync is full: it catches anything an incremental sync cannot see
  // (objects moved out of scope, a lost cookie).
  uint32_t full_sync_every = 48;
};

struct DirectorySyncStatus {
  LdapSourceStatus source;       // last fetch: server, method, last success, last error
  std::string last_outcome;      // "" before the first sync, "ok", or the error
  uint32_t events_proposed = 0;  // by the last sync
  bool running = false;
};

class DirectorySync {
 public:
  // All references must outlive this object. Construct and use on the loop thread.
  DirectorySync(Env& env, LdapSource& source, DirectoryView& view,
                const DirectoryProjection& projection, eventlog::Proposer& proposer,
                DirectorySyncOptions options);
  ~DirectorySync();  // waits for a fetch in flight (bounded by the LDAP timeouts)

  // Loop thread. Runs one sync now. `done` runs on the loop thread once every event is durable
  // (OK), or with the first error: Unavailable (directory down), FailedPrecondition (guard,
  // bind refused, a sync already running), or the proposer's error.
  void SyncNow(SyncMode mode, bool confirm_mass_deprovision, std::function<void(Status)> done);
  // Loop thread. Periodic syncs (first one at once) until Stop().
  void Start();
  void Stop();

  DirectorySyncStatus status() const;  // any thread

 private:
  struct Shared;  // outlives `this` while the worker or a posted closure still refers to it
  void Propose(std::vector<events::Event> events, std::function<void(Status)> done);
  void Finish(const Status& status, uint32_t events, const std::function<void(Status)>& done);
  void ScheduleNext(Duration after);

  Env& env_;
  LdapSource& source_;
  DirectoryView& view_;
  const DirectoryProjection& projection_;
  eventlog::Proposer& proposer_;
  DirectorySyncOptions options_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<SerialExecutor> executor_;  // made by the first sync
  std::atomic<bool> running_{false};
  bool started_ = false;
  std::optional<TimerId> timer_;
  uint32_t periodic_count_ = 0;
  mutable std::mutex status_mutex_;
  std::string last_outcome_;
  uint32_t events_proposed_ = 0;
};

}  // namespace lifeboat::directory
