// The node's admin endpoints (admin_router.h). Mailbox reads go through the same queries the CLI
// runs on a stopped node (admin/mailbox_queries.h, admin/directory_queries.h); directory actions
// start on the loop thread and are polled (admin/directory_actions.h).
#include "appliance/node_admin_backend.h"

#include "appliance/admin/directory_queries.h"
#include "appliance/admin/event_json.h"
#include "appliance/admin/host_port.h"
#include "appliance/admin/mailbox_queries.h"
#include "appliance/json/json_writer.h"
#include "appliance/log_mail_bodies.h"
#include "appliance/version.h"
#include "eventlog/raft/raft_node.h"
#include "modules/auth/activation_code.h"
#include "modules/auth/login.h"

namespace lifeboat {
namespace {

constexpr std::string_view kDirectoryComponent = "directory";

}  // namespace

NodeAdminBackend::NodeAdminBackend(const config::Config& config, Env& env, Logger& logger,
                                   NodeStorage& storage, NodeServices& services)
    : config_(config),
      env_(env),
      logger_(logger),
      storage_(storage),
      services_(services),
      started_at_(env.MonotonicNow()),
      metrics_(registry_, kLifeboatVersion),
      reads_(env.NewSerialExecutor(kAdminReadThreadName)) {}

NodeAdminBackend::~NodeAdminBackend() {
  Stop();
}

void NodeAdminBackend::Stop() {
  if (reads_ != nullptr) reads_->Shutdown();
  reads_.reset();
}

void NodeAdminBackend::ReadOffLoop(std::function<Result<std::string>()> read, ReadDone done) {
  if (reads_ == nullptr) {
    done(Status::Unavailable("the node is stopping"));
    return;
  }
  if (reads_queued_->load() >= kAdminReadsQueuedMax) {
    done(Status::Unavailable("too many admin reads in progress (" +
                             std::to_string(kAdminReadsQueuedMax) + "): try again"));
    return;
  }
  reads_queued_->fetch_add(1);
  reads_->Submit(
      [read = std::move(read), done = std::move(done), queued = reads_queued_, &env = env_] {
        auto result = std::make_shared<Result<std::string>>(read());
        queued->fetch_sub(1);
        env.Post([result, done] { done(std::move(*result)); });
      });
}

void NodeAdminBackend::LogJson(uint64_t from, uint64_t count, ReadDone done) {
  ReadOffLoop(
      [&log = storage_.log(), from, count]() -> Result<std::string> {
        const uint64_t last = log.last_index();
        if (from > last) return std::string();  // nothing there yet: an empty page, not an error
        const uint64_t through = count - 1 > last - from ? last : from + count - 1;
        auto records = log.Read(from, through, kAdminLogReadBytesMax);
        if (!records.ok()) return records.status();
        std::string out;
        for (const auto& record : *records) {
          auto json = admin::RecordToJson(record);
          if (!json.ok()) return json.status();
          out += *json;
          out.push_back('\n');
        }
        return out;
      },
      std::move(done));
}

void NodeAdminBackend::QueryMailboxes(
    std::function<Result<std::string>(const admin::MailboxQueries& queries)> query, ReadDone done) {
  ReadOffLoop(
      [this, query = std::move(query)] {
        LogMailBodies bodies(storage_.log(), storage_.log_payload_format());
        return query(admin::MailboxQueries(*storage_.projections().directory_view, storage_.state(),
                                           bodies));
      },
      std::move(done));
}

void NodeAdminBackend::MailboxesJson(uint64_t limit, ReadDone done) {
  QueryMailboxes([limit](const admin::MailboxQueries& queries) { return queries.Mailboxes(limit); },
                 std::move(done));
}

void NodeAdminBackend::MailboxMessagesJson(std::string address_or_id, std::string folder,
                                           uint64_t limit, std::string after, ReadDone done) {
  QueryMailboxes(
      [address_or_id = std::move(address_or_id), folder = std::move(folder), limit,
       after = std::move(after)](const admin::MailboxQueries& queries) {
        return queries.Messages(address_or_id, folder, limit, after);
      },
      std::move(done));
}

void NodeAdminBackend::MessageJson(std::string address_or_id, std::string message_id,
                                   ReadDone done) {
  QueryMailboxes(
      [address_or_id = std::move(address_or_id),
       message_id = std::move(message_id)](const admin::MailboxQueries& queries) {
        return queries.Message(address_or_id, message_id);
      },
      std::move(done));
}

void NodeAdminBackend::RawMessage(std::string address_or_id, std::string message_id,
                                  ReadDone done) {
  QueryMailboxes(
      [address_or_id = std::move(address_or_id),
       message_id = std::move(message_id)](const admin::MailboxQueries& queries) {
        return queries.RawMessage(address_or_id, message_id);
      },
      std::move(done));
}

void NodeAdminBackend::RefreshGauges() {
  const eventlog::LogStore& log = storage_.log();
  metrics_.log_last_index->Set(static_cast<double>(log.last_index()));
  metrics_.projection_lag_events->Set(
      static_cast<double>(storage_.runner().lag(storage_.commit_index())));
  metrics_.wal_files_preallocated->Set(log.preallocated_wal_files());
  metrics_.wal_files_plain->Set(log.plain_wal_files());
  metrics_.LoadGroupCommitStats(storage_.writer().stats());
  if (const smtp_driver::SmtpService* smtp = services_.smtp(); smtp != nullptr) {
    const auto& stats = smtp->server().stats();
    metrics_.smtp_messages_committed->Set(stats.messages_committed);
    metrics_.smtp_messages_failed->Set(stats.messages_failed);
    metrics_.smtp_sessions_refused->Set(stats.sessions_refused);
    metrics_.smtp_sessions_open->Set(static_cast<double>(smtp->server().open_sessions()));
  }
  const DiskFigures disk = storage_.disk_reserve().figures();
  metrics_.disk_free_bytes->Set(static_cast<double>(disk.free_bytes));
  metrics_.disk_reserve_refusing->Set(disk.accepting ? 0 : 1);
  metrics_.disk_ballast_present->Set(storage_.ballast().present() ? 1 : 0);
  metrics_.directory_entries->Set(
      static_cast<double>(storage_.projections().directory_view->size()));
  DirectoryService::Health health = services_.directory().health(env_.WallNow());
  metrics_.directory_last_sync_age_seconds->Set(health.last_success_age_seconds);
  metrics_.directory_sync_failing->Set(health.failing ? 1 : 0);
}

std::string NodeAdminBackend::MetricsText() {
  RefreshGauges();
  return registry_.Render();
}

std::string NodeAdminBackend::StatusJson() {
  RefreshGauges();
  const eventlog::LogStore& log = storage_.log();
  const uint64_t committed = storage_.commit_index();
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(env_.MonotonicNow() - started_at_);
  std::string listeners = json::ObjectWriter()
                              .String("admin", admin::HostPort(config_.admin.host, admin_port_))
                              .String("smtp", services_.smtp_address())
                              .Finish();
  json::ObjectWriter writer;
  writer
      .Bool("running", true)  // `lifeboat status` on a stopped data dir says false
      .String("node_id", config_.node.id)
      .String("cluster_id", config_.node.cluster_id)
      .String("version", kLifeboatVersion)
      .Int("uptime_seconds", uptime.count())
      .Uint("log_first_index", log.first_index())
      .Uint("log_last_index", log.last_index())
      .Uint("commit_index", committed)
      .Uint("projection_applied_index", storage_.applied_index())
      .Uint("projection_lag", storage_.runner().lag(committed))
      .String("data_dir", config_.node.data_dir)
      .Raw("listeners", listeners)
      .Raw("log_wal_files", json::ObjectWriter()
                                .Uint("preallocated", log.preallocated_wal_files())
                                .Uint("plain", log.plain_wal_files())
                                .Finish())
      .Bool("read_only", storage_.read_only());
  writer.Raw("disk", storage_.DiskJson());
  writer.Raw("directory", services_.directory().StatusJson(env_.WallNow()));
  if (const smtp_driver::SmtpService* smtp = services_.smtp(); smtp != nullptr) {
    const auto& stats = smtp->server().stats();
    DiskReserve& reserve = storage_.disk_reserve();
    writer.Raw("smtp", json::ObjectWriter()
                           .Uint("sessions_open", smtp->server().open_sessions())
                           .Uint("sessions_accepted", stats.sessions_accepted)
                           .Uint("sessions_refused", stats.sessions_refused)
                           .Uint("messages_committed", stats.messages_committed)
                           .Uint("messages_failed", stats.messages_failed)
                           .Uint("disk_free_bytes", reserve.figures().free_bytes)
                           .Bool("disk_reserve_ok", reserve.AcceptsNewMail())
                           .Finish());
  }
  if (storage_.projection_error().has_value()) {
    writer.String("projection_error", storage_.projection_error()->ToString());
  }
  return writer.Finish();
}

std::string NodeAdminBackend::DirectoryStatusJson() {
  return services_.directory().StatusJson(env_.WallNow());
}

Result<std::string> NodeAdminBackend::DirectoryEntryJson(std::string_view address_or_id) {
  return admin::DirectoryEntryQuery(*storage_.projections().directory_view, address_or_id);
}

Result<std::string> NodeAdminBackend::DirectorySearchJson(std::string_view text, uint64_t limit) {
  return admin::DirectorySearchQuery(*storage_.projections().directory_view, text, limit);
}

Result<std::string> NodeAdminBackend::StartDirectorySync(bool full, bool confirm_mass_deprovision) {
  DirectoryService& directory = services_.directory();
  if (!directory.ldap_configured()) {
    return Status::FailedPrecondition(
        "no LDAP server configured ([directory] ldap_uris); `lifeboat directory import` "
        "re-reads the import file");
  }
  const uint64_t id = directory_actions_->Begin(full ? "full sync" : "sync", env_.WallNow());
  logger_.Info(
      kDirectoryComponent, "sync requested by the operator",
      {{"action", id}, {"full", full}, {"confirm_mass_deprovision", confirm_mass_deprovision}});
  std::weak_ptr<admin::DirectoryActions> actions = directory_actions_;
  directory.SyncNow(full, confirm_mass_deprovision,
                    [actions, id, &env = env_, &logger = logger_](Status outcome) {
                      auto alive = actions.lock();
                      if (alive == nullptr) return;  // the node is gone
                      alive->Finish(id, outcome, env.WallNow());
                      logger.Info(
                          kDirectoryComponent, "operator sync done",
                          {{"action", id}, {"outcome", outcome.ok() ? "ok" : outcome.ToString()}});
                    });
  return directory_actions_->Json(id);
}

Result<std::string> NodeAdminBackend::StartDirectoryImport(bool confirm_mass_deprovision) {
  const uint64_t id = directory_actions_->Begin("import", env_.WallNow());
  std::weak_ptr<admin::DirectoryActions> actions = directory_actions_;
  Status started = services_.directory().ImportNow(
      confirm_mass_deprovision, [actions, id, &env = env_, &logger = logger_](Status outcome) {
        auto alive = actions.lock();
        if (alive == nullptr) return;
        alive->Finish(id, outcome, env.WallNow());
        logger.Info(kDirectoryComponent, "operator import done",
                    {{"action", id}, {"outcome", outcome.ok() ? "ok" : outcome.ToString()}});
      });
  if (!started.ok()) {
    // Refused before anything was proposed (no file, unreadable, bad line, the guard).
    directory_actions_->Finish(id, started, env_.WallNow());
    return started;
  }
  return directory_actions_->Json(id);
}

Result<std::string> NodeAdminBackend::DirectoryActionJson(uint64_t id) {
  return directory_actions_->Json(id);
}

std::string NodeAdminBackend::ClusterStatusJson() {
  const eventlog::raft::RaftNode* raft = storage_.raft_node();
  if (raft == nullptr) return "{\"cluster\":false}";
  // libraft tells leader or not; a node that knows a leader other than itself follows it.
  const char* role = raft->is_leader() ? "leader" : raft->leader_id() != 0 ? "follower" : "none";
  return "{\"cluster\":true,\"node_id\":" + std::to_string(raft->id()) + ",\"address\":\"" +
         storage_.cluster_address() + "\",\"role\":\"" + role +
         "\",\"term\":" + std::to_string(raft->term()) +
         ",\"leader_id\":" + std::to_string(raft->leader_id()) +
         ",\"commit_index\":" + std::to_string(raft->commit_index()) +
         ",\"raft_applied_index\":" + std::to_string(raft->last_applied()) +
         ",\"log_last_index\":" + std::to_string(storage_.log().last_index()) +
         ",\"projection_applied_index\":" + std::to_string(storage_.applied_index()) + "}";
}

std::string NodeAdminBackend::RoutingStatusJson() {
  const DeliveryService* delivery = services_.delivery();
  return lifeboat::RoutingStatusJson(*storage_.projections().routing_table, services_.routing(),
                                     delivery != nullptr ? delivery->StatusJson() : "");
}

void NodeAdminBackend::SetRoutingOverride(std::string scope, std::string mode,
                                          std::string operator_name, std::string reason,
                                          ReadDone done) {
  RoutingService* routing = services_.routing();
  if (routing == nullptr) {
    done(Status::FailedPrecondition("routing is not configured ([routing] primaries)"));
    return;
  }
  routing::Override override = routing::Override::kAutomatic;
  if (mode == "continuity") override = routing::Override::kForceContinuity;
  if (mode == "normal") override = routing::Override::kForceNormal;
  logger_.Info("routing", "operator routing command",
               {{"scope", scope}, {"mode", mode}, {"operator", operator_name}, {"reason", reason}});
  // `done` is shared: SetOverride either fails at once (and never calls it) or calls it later.
  auto shared_done = std::make_shared<ReadDone>(std::move(done));
  Status started = routing->SetOverride(
      scope, override, operator_name, reason, [shared_done](Result<uint64_t> index) {
        if (!index.ok()) {
          (*shared_done)(index.status());
          return;
        }
        (*shared_done)(json::ObjectWriter().Uint("index", *index).Finish());
      });
  if (!started.ok()) (*shared_done)(started);
}

void NodeAdminBackend::IssueBreakGlassCodes(std::string address_or_id, uint64_t count,
                                            ReadDone done) {
  const directory::DirectoryView& directory = *storage_.projections().directory_view;
  auto entry = directory.FindByAddress(address_or_id);
  if (!entry.has_value()) entry = directory.FindById(address_or_id);
  if (!entry.has_value()) {
    done(Status::NotFound("no user " + address_or_id + " in the directory"));
    return;
  }
  auto batch = auth::GenerateBreakGlassCodes(env_, {entry->id()}, count, env_.WallNow(),
                                             "operator (admin API)");
  if (!batch.ok()) {
    done(batch.status());
    return;
  }
  std::string lines;
  for (const auth::BreakGlassLine& line : batch->lines) {
    lines += "{\"user\":";
    json::AppendQuoted(lines, entry->primary_address());
    lines += ",\"user_id\":";
    json::AppendQuoted(lines, line.user_id);
    lines += ",\"code\":";
    json::AppendQuoted(lines, line.code);
    lines += "}\n";
  }
  // Answered once every proposal came back (in order: the last index covers them all) and the
  // auth view shows the codes; a failed proposal fails the whole sheet (its codes may be
  // unusable).
  struct Progress {
    size_t remaining = 0;
    uint64_t last_index = 0;
    Status failure = Status::Ok();
  };
  auto progress = std::make_shared<Progress>();
  progress->remaining = batch->events.size();
  auto finish = std::make_shared<ReadDone>(std::move(done));
  for (const auth::ActivationCodeIssued& issued : batch->events) {
    auth::AuthEvent change;
    *change.mutable_activation_code_issued() = issued;
    storage_.proposer().Propose(auth::AuthEventOf(std::move(change)),
                                [this, progress, finish, lines](Result<uint64_t> index) {
                                  if (index.ok()) {
                                    progress->last_index = std::max(progress->last_index, *index);
                                  } else if (progress->failure.ok()) {
                                    progress->failure = index.status();
                                  }
                                  if (--progress->remaining > 0) return;
                                  if (!progress->failure.ok()) {
                                    (*finish)(progress->failure);
                                    return;
                                  }
                                  WhenApplied(progress->last_index,
                                              [finish, lines] { (*finish)(lines); });
                                });
  }
}

void NodeAdminBackend::WhenApplied(uint64_t index, std::function<void()> then) {
  if (storage_.applied_index() >= index) {
    then();
    return;
  }
  applied_waiters_.emplace_back(index, std::move(then));
}

void NodeAdminBackend::NotifyApplied(uint64_t applied_index) {
  std::vector<std::function<void()>> ready;
  std::erase_if(applied_waiters_, [&](auto& waiter) {
    if (waiter.first > applied_index) return false;
    ready.push_back(std::move(waiter.second));
    return true;
  });
  for (auto& then : ready) then();
}

}  // namespace lifeboat
