#pragma once
// The node's directory feed ([directory] config): the import file, imported at every start as a
// full sync of source "import:<file name>", and the LDAP/AD sync loop (modules/directory). Both
// propose their change events through the node's proposer; the directory projection folds them
// into the view that SMTP's RCPT checks read.
//
// Ownership: the node owns the service; env, proposer and projections outlive it. Loop thread.

#include <memory>
#include <string>

#include "appliance/config/config.h"
#include "appliance/log/logger.h"
#include "eventlog/proposer.h"
#include "modules/directory/directory_projection.h"
#include "modules/directory/directory_sync.h"
#include "modules/directory/directory_view.h"
#include "modules/directory/ldap_source.h"

namespace lifeboat {

class DirectoryService {
 public:
  DirectoryService(const config::DirectoryConfig& config, Env& env, Logger& logger,
                   eventlog::Proposer& proposer, directory::DirectoryView& view,
                   const directory::DirectoryProjection& projection);
  ~DirectoryService();

  // Imports the file (if configured) and starts the LDAP loop (if configured). The view must be
  // caught up with the log before this is called: the import is a diff against it.
  Status Start();
  void Stop();

  // `lifeboat directory sync --now`. Unavailable when no LDAP source is configured.
  void SyncNow(bool full, bool confirm_mass_deprovision, std::function<void(Status)> done);
  // Re-imports the configured file (`lifeboat directory import`).
  Status ImportNow(bool confirm_mass_deprovision, std::function<void(Status)> done);

  bool ldap_configured() const { return sync_ != nullptr; }
  struct Health {
    double last_success_age_seconds = -1;  // -1: no LDAP sync ever succeeded (or none configured)
    bool failing = false;                  // the last LDAP fetch failed
  };
  Health health(WallTime now) const;
  // JSON object for `lifeboat directory status` and /v1/status.
  std::string StatusJson(WallTime now) const;

 private:
  const config::DirectoryConfig config_;
  Env& env_;
  Logger& logger_;
  eventlog::Proposer& proposer_;
  directory::DirectoryView& view_;
  const directory::DirectoryProjection& projection_;
  std::unique_ptr<directory::LdapSource> source_;
  std::unique_ptr<directory::DirectorySync> sync_;
  std::string last_import_outcome_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeboat
