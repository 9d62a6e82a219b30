// The node's mailbox and directory admin endpoints (admin_router.h): reads go through the same
// queries the CLI runs on a stopped node (admin/mailbox_queries.h, admin/directory_queries.h);
// directory actions start on the loop thread and are polled (admin/directory_actions.h).
#include "appliance/admin/directory_queries.h"
#include "appliance/admin/mailbox_queries.h"
#include "appliance/log_mail_bodies.h"
#include "appliance/node.h"

namespace lifeboat {
namespace {

constexpr std::string_view kDirectoryComponent = "directory";

}  // namespace

Result<std::string> Node::MailboxesJson(uint64_t limit) {
  LogMailBodies bodies(*log_);
  return admin::MailboxQueries(*projections_.directory_view, *runner_, bodies).Mailboxes(limit);
}

Result<std::string> Node::MailboxMessagesJson(std::string_view address_or_id,
                                              std::string_view folder, uint64_t limit,
                                              std::string_view after) {
  LogMailBodies bodies(*log_);
  return admin::MailboxQueries(*projections_.directory_view, *runner_, bodies)
      .Messages(address_or_id, folder, limit, after);
}

Result<std::string> Node::MessageJson(std::string_view address_or_id, std::string_view message_id) {
  LogMailBodies bodies(*log_);
  return admin::MailboxQueries(*projections_.directory_view, *runner_, bodies)
      .Message(address_or_id, message_id);
}

Result<std::string> Node::RawMessage(std::string_view address_or_id, std::string_view message_id) {
  LogMailBodies bodies(*log_);
  return admin::MailboxQueries(*projections_.directory_view, *runner_, bodies)
      .RawMessage(address_or_id, message_id);
}

std::string Node::DirectoryStatusJson() {
  if (directory_service_ == nullptr) return "{}";
  return directory_service_->StatusJson(env_.WallNow());
}

Result<std::string> Node::DirectoryEntryJson(std::string_view address_or_id) {
  return admin::DirectoryEntryQuery(*projections_.directory_view, address_or_id);
}

Result<std::string> Node::DirectorySearchJson(std::string_view text, uint64_t limit) {
  return admin::DirectorySearchQuery(*projections_.directory_view, text, limit);
}

Result<std::string> Node::StartDirectorySync(bool full, bool confirm_mass_deprovision) {
  if (directory_service_ == nullptr) return Status::Unavailable("the node is stopping");
  if (!directory_service_->ldap_configured()) {
    return Status::FailedPrecondition(
        "no LDAP server configured ([directory] ldap_uris); `lifeboat directory import` "
        "re-reads the import file");
  }
  const uint64_t id = directory_actions_->Begin(full ? "full sync" : "sync", env_.WallNow());
  logger_.Info(
      kDirectoryComponent, "sync requested by the operator",
      {{"action", id}, {"full", full}, {"confirm_mass_deprovision", confirm_mass_deprovision}});
  std::weak_ptr<admin::DirectoryActions> actions = directory_actions_;
  directory_service_->SyncNow(
      full, confirm_mass_deprovision,
      [actions, id, &env = env_, &logger = logger_](Status outcome) {
        auto alive = actions.lock();
        if (alive == nullptr) return;  // the node is gone
        alive->Finish(id, outcome, env.WallNow());
        logger.Info(kDirectoryComponent, "operator sync done",
                    {{"action", id}, {"outcome", outcome.ok() ? "ok" : outcome.ToString()}});
      });
  return directory_actions_->Json(id);
}

Result<std::string> Node::StartDirectoryImport(bool confirm_mass_deprovision) {
  if (directory_service_ == nullptr) return Status::Unavailable("the node is stopping");
  const uint64_t id = directory_actions_->Begin("import", env_.WallNow());
  std::weak_ptr<admin::DirectoryActions> actions = directory_actions_;
  Status started = directory_service_->ImportNow(
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

Result<std::string> Node::DirectoryActionJson(uint64_t id) {
  return directory_actions_->Json(id);
}

}  // namespace lifeboat
