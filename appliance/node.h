#pragma once
// One Lifeboat node (DESIGN.md "The shape"): a thin composition of
//   - NodeStorage (node_storage.h): the data dir's stores, the writer, the proposer, the
//     projection worker, the disk reserve and ballast;
//   - NodeServices (node_services.h): SMTP, the directory, retention;
//   - NodeAdminBackend (node_admin_backend.h) behind the admin API listener;
//   - the webmail's HTTPS listener (webmail/webmail_server.h), when [webmail] is set.
// plus <data_dir>/admin.token, the admin API bearer token (0600).
//
// Lifecycle, all on the loop thread: Start() opens everything and listens; the caller runs the
// loop; on SIGTERM/SIGINT the caller calls BeginDrain, stops the loop once drained, and calls
// Shutdown(), which stops the listeners, drains the writer (every queued proposal gets its
// callback), lets the projections catch up with the commit index, and closes the databases.
//
// The node takes the concrete LibeventEnv only for the evhttp servers (admin/admin_server.h,
// webmail/webmail_server.h) and LibeventEnv::RunPending at shutdown; everything it is made of takes
// Env&.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "appliance/admin/admin_router.h"
#include "appliance/admin/admin_server.h"
#include "appliance/config/config.h"
#include "appliance/env/libevent_env.h"
#include "appliance/log/logger.h"
#include "appliance/node_admin_backend.h"
#include "appliance/node_services.h"
#include "appliance/node_storage.h"
#include "appliance/webmail/webmail_server.h"

namespace lifeboat {

// SIGTERM waits at most this long for messages in flight to be answered.
inline constexpr Duration kDrainTimeout = std::chrono::seconds(10);
inline constexpr Duration kDrainPollInterval = std::chrono::milliseconds(20);

// The storage options the node's configuration gives (the real disk).
NodeStorageOptions StorageOptionsFromConfig(const config::Config& config);

class Node {
 public:
  // `env` and `logger` must outlive the node. Errors name what failed (identity mismatch,
  // locked log, port in use).
  static Result<std::unique_ptr<Node>> Start(const config::Config& config, LibeventEnv& env,
                                             Logger& logger);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // SIGTERM, first step (loop running): stop accepting SMTP sessions and directory syncs, then
  // call `drained` once every message in flight was answered (its proposal durable or failed)
  // and its reply had a loop turn to flush, or after kDrainTimeout at most.
  void BeginDrain(std::function<void()> drained);

  // Loop stopped or not; call on the loop thread. Idempotent. Errors: a projection could not
  // catch up (the log is safe; state is rebuilt at the next start or with `lifeboat rebuild`).
  Status Shutdown();

  eventlog::Proposer& proposer() { return storage_->proposer(); }
  // "" when [smtp] is not configured.
  std::string smtp_address() const { return services_ ? services_->smtp_address() : ""; }
  const directory::DirectoryView& directory() const {
    return *storage_->projections().directory_view;
  }
  // Relay or keep, per recipient: the routing projection's view.
  const routing::RoutingTable& routing_table() const {
    return *storage_->projections().routing_table;
  }
  DirectoryService& directory_service() { return services_->directory(); }
  // SIGHUP: re-reads the TLS certificate and key (SMTP, then the webmail).
  Status ReloadTls();
  // "" when [webmail] is not configured: "https://host:port/".
  std::string webmail_url() const;
  // Started read-only on a full disk: `reopen` runs once, on the loop thread, when space has
  // returned; the owner then shuts this node down and starts a new one (cli/serve_command.cc).
  void OnReopenWanted(std::function<void()> reopen) { storage_->OnReopenWanted(std::move(reopen)); }
  bool read_only_mode() const { return storage_->read_only(); }
  const eventlog::StateReader& state() const { return storage_->state(); }
  uint16_t admin_port() const { return admin_server_ ? admin_server_->port() : 0; }
  const std::string& admin_token() const { return admin_token_; }
  // Every projection has folded the log through this index. Any thread.
  uint64_t applied_index() const { return storage_ ? storage_->applied_index() : 0; }

 private:
  Node(const config::Config& config, LibeventEnv& env, Logger& logger);
  Status Open();
  Status StartAdmin();
  Status StartWebmail();
  void CheckDrained();

  const config::Config config_;
  LibeventEnv& env_;
  Logger& logger_;
  // Declaration order is teardown order reversed: the admin API and the services go before the
  // storage they read and propose to.
  std::unique_ptr<NodeStorage> storage_;
  std::unique_ptr<NodeServices> services_;
  std::unique_ptr<NodeAdminBackend> admin_backend_;
  std::string admin_token_;
  std::unique_ptr<admin::AdminRouter> admin_router_;
  std::unique_ptr<admin::AdminServer> admin_server_;
  std::unique_ptr<webmail::WebmailServer> webmail_server_;
  std::function<void()> drained_;
  MonoTime drain_deadline_{};
  TimerId drain_timer_ = 0;
  bool shut_down_ = false;
};

}  // namespace lifeboat
