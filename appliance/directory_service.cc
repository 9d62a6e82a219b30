#include "appliance/directory_service.h"

#include <algorithm>

#include "appliance/env/check.h"
#include "appliance/json/json_writer.h"
#include "modules/directory/importer.h"
#include "modules/directory/propose_events.h"

namespace lifeboat {
namespace {

constexpr std::string_view kComponent = "directory";

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

DirectoryService::DirectoryService(const config::DirectoryConfig& config, Env& env, Logger& logger,
                                   eventlog::Proposer& proposer, directory::DirectoryView& view,
                                   const directory::DirectoryProjection& projection)
    : config_(config),
      env_(env),
      logger_(logger),
      proposer_(proposer),
      view_(view),
      projection_(projection) {
  if (!config_.ldap_uris.empty()) {
    directory::LdapSourceOptions options;
    options.uris = config_.ldap_uris;
    options.start_tls = config_.start_tls;
    options.ca_file = config_.ca_file;
    options.bind_dn = config_.bind_dn;
    options.password_file = config_.password_file;
    options.base_dn = config_.base_dn;
    if (!config_.filter.empty()) options.filter = config_.filter;
    options.private_address_attribute = config_.private_address_attribute;
    source_ = std::make_unique<directory::LdapSource>(env_, options);
    directory::DirectorySyncOptions sync_options;
    sync_options.sync.source = "ldap";
    sync_options.sync.private_address_attribute = config_.private_address_attribute;
    sync_options.interval = std::chrono::seconds(config_.sync_interval_seconds);
    // After a failure, retry no later than the next regular sync would have run: an operator who
    // set a 10 s interval expects a recovered DC to be used within 10 s, not a fixed minute.
    sync_options.retry_interval =
        std::min<Duration>(sync_options.retry_interval, sync_options.interval);
    sync_ = std::make_unique<directory::DirectorySync>(env_, *source_, view_, projection_,
                                                       proposer_, sync_options);
  }
}

DirectoryService::~DirectoryService() {
  *alive_ = false;
  Stop();
}

Status DirectoryService::Start() {
  // A fresh node serves SMTP before its first import or sync lands: until then an address it
  // does not know yet gets 451 4.4.3, not 550 5.1.1 (the view is caught up with the log here, and
  // nothing this process proposes has been applied yet, so the check cannot race a completion).
  if ((config_.import_file.has_value() || sync_ != nullptr) && !projection_.HasCompletedSync()) {
    view_.SetAwaitingFirstSync(true);
  }
  if (config_.import_file.has_value()) {
    // ImportNow logs the outcome with the import's counts once it is durable.
    Status imported = ImportNow(false, [](Status) {});
    // A bad import file is reported, never fatal: the last imported state keeps serving.
    if (!imported.ok()) {
      logger_.Error(kComponent, "import refused",
                    {{"file", *config_.import_file}, {"error", imported.ToString()}});
    }
  }
  if (sync_ != nullptr) sync_->Start();
  return Status::Ok();
}

void DirectoryService::Stop() {
  if (sync_ != nullptr) sync_->Stop();
}

void DirectoryService::SyncNow(bool full, bool confirm_mass_deprovision,
                               std::function<void(Status)> done) {
  if (sync_ == nullptr) {
    done(Status::Unavailable("no LDAP server configured ([directory] ldap_uris)"));
    return;
  }
  sync_->SyncNow(full ? directory::SyncMode::kFull : directory::SyncMode::kIncremental,
                 confirm_mass_deprovision, std::move(done));
}

Status DirectoryService::ImportNow(bool confirm_mass_deprovision,
                                   std::function<void(Status)> done) {
  if (!config_.import_file.has_value()) {
    return Status::FailedPrecondition("no [directory] import_file configured");
  }
  const std::string& path = *config_.import_file;
  auto plan = [&]() -> Result<std::vector<events::Event>> {
    // A bounded file read (kImportFileBytesMax): the start path and an operator command, both
    // rare; the loop is not serving mail traffic from it.
    auto text = directory::ReadImportFile(path);
    if (!text.ok()) return text.status();
    auto format = directory::FormatFromFileName(path);
    if (!format.ok()) return format.status();
    directory::SyncOptions options;
    options.private_address_attribute = config_.private_address_attribute;
    options.confirm_mass_deprovision = confirm_mass_deprovision;
    return directory::ComputeImport(view_.Snapshot(), BaseName(path), *text, *format, options);
  };
  // Every import, at start or by the operator, is what `directory status` reports.
  auto events = plan();
  if (!events.ok()) {
    last_import_outcome_ = events.status().ToString();
    return events.status();
  }
  // The last event of an import is its DirectorySyncCompleted: what the import produced, logged
  // once it is durable (the view applies it a moment later, so its size would still be the old).
  LB_CHECK(!events->empty() && events->back().has_directory_sync_completed());
  events::DirectorySyncCompleted counts = events->back().directory_sync_completed();
  directory::ProposeSyncEvents(
      proposer_, std::move(events).value(),
      [this, alive = alive_, path, counts, done = std::move(done)](Status status) {
        if (!*alive) return done(status);
        last_import_outcome_ = status.ok() ? "ok" : status.ToString();
        if (status.ok()) {
          logger_.Info(kComponent, "import done",
                       {{"file", path},
                        {"entries", uint64_t{counts.upserted()} + counts.unchanged()},
                        {"added_or_changed", uint64_t{counts.upserted()}},
                        {"removed", uint64_t{counts.removed()}},
                        {"rejected", uint64_t{counts.rejected()}}});
        } else {
          logger_.Error(kComponent, "import failed",
                        {{"file", path}, {"error", status.ToString()}});
        }
        done(status);
      });
  return Status::Ok();
}

DirectoryService::Health DirectoryService::health(WallTime now) const {
  Health health;
  if (sync_ == nullptr) return health;
  directory::DirectorySyncStatus status = sync_->status();
  health.failing = !status.source.last_error.empty();
  if (status.source.last_success.has_value()) {
    health.last_success_age_seconds =
        std::chrono::duration<double>(now - *status.source.last_success).count();
  }
  return health;
}

std::string DirectoryService::StatusJson(WallTime now) const {
  json::ObjectWriter writer;
  writer.Uint("entries", view_.size());
  if (config_.import_file.has_value()) {
    writer.String("import_file", *config_.import_file)
        .String("import_outcome", last_import_outcome_);
  }
  if (sync_ != nullptr) {
    directory::DirectorySyncStatus status = sync_->status();
    writer.String("ldap_server", status.source.server)
        .String("ldap_method", status.source.method)
        .String("last_outcome", status.last_outcome)
        .String("last_error", status.source.last_error)
        .Bool("running", status.running);
    if (status.source.last_success.has_value()) {
      auto age =
          std::chrono::duration_cast<std::chrono::seconds>(now - *status.source.last_success);
      writer
          .Int(
              "last_success_unix_seconds",
              std::chrono::duration_cast<std::chrono::seconds>(*status.source.last_success).count())
          .Int("last_success_age_seconds", age.count());
    }
  }
  return writer.Finish();
}

}  // namespace lifeboat
