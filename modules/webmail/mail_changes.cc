// POST /api/messages/<id>/flags, /move, /delete: each one event (issue 12 item 2: every state
// change is an event), proposed only after the job found the message in the session user's own
// mailbox (404 otherwise, mail_routes.h).
#include "appliance/env/check.h"
#include "modules/webmail/mail_api.pb.h"
#include "modules/webmail/mail_routes.h"
#include "modules/webmail/mail_routes_internal.h"

namespace lifeboat::webmail {
namespace {

using internal::MailJsonReply;
using internal::StoreError;

// The folders a message may be moved to besides those the mailbox already has.
constexpr std::string_view kStandardFolders[] = {"Inbox", "Sent", "Trash", "Archive", "Junk"};

Reply Done() {
  return MailJsonReply(200, DeleteBody());  // "{}"
}

Reply SetFlags(const MailStore& store, const std::string& user_id, const std::string& id,
               const FlagsBody& body) {
  auto entry = store.mailboxes.GetMessage(user_id, id);
  if (!entry.ok()) return StoreError(entry.status());
  events::Event event;
  events::MessageFlagsChanged* change = event.mutable_message_flags_changed();
  change->set_mailbox_id(user_id);
  change->set_message_id(id);
  auto apply = [&](bool wanted, std::string_view flag) {
    if (wanted == internal::HasFlag(*entry, flag)) return;  // already so: nothing to record
    (wanted ? change->add_flags_added() : change->add_flags_removed())->assign(flag);
  };
  if (body.has_seen()) apply(body.seen(), "\\Seen");
  if (body.has_flagged()) apply(body.flagged(), "\\Flagged");
  Reply reply = Done();
  if (change->flags_added_size() + change->flags_removed_size() > 0) {
    reply.events.push_back(std::move(event));
  }
  return reply;
}

bool MayMoveTo(const mailbox::MailboxRecord& record, std::string_view folder) {
  for (std::string_view standard : kStandardFolders) {
    if (standard == folder) return true;
  }
  for (const std::string& existing : record.folders()) {
    if (existing == folder) return true;
  }
  return false;
}

Reply Move(const MailStore& store, const std::string& user_id, const std::string& id,
           const std::string& folder) {
  auto entry = store.mailboxes.GetMessage(user_id, id);
  if (!entry.ok()) return StoreError(entry.status());
  auto record = store.mailboxes.GetMailbox(user_id);
  if (!record.ok()) return StoreError(record.status());
  if (!MayMoveTo(*record, folder)) return ErrorResponse(400, "bad_folder", "no such folder");
  Reply reply = Done();
  if (entry->folder() == folder) return reply;
  events::Event event;
  events::MessageMoved* move = event.mutable_message_moved();
  move->set_mailbox_id(user_id);
  move->set_message_id(id);
  move->set_from_folder(entry->folder());
  move->set_to_folder(folder);
  reply.events.push_back(std::move(event));
  return reply;
}

// Delete moves to Trash; in Trash it purges (the projection drops the entry and, with its last
// reference, the body's).
Reply Delete(const MailStore& store, const std::string& user_id, const std::string& id) {
  auto entry = store.mailboxes.GetMessage(user_id, id);
  if (!entry.ok()) return StoreError(entry.status());
  if (entry->folder() != internal::kTrashFolder) {
    return Move(store, user_id, id, std::string(internal::kTrashFolder));
  }
  Reply reply = Done();
  events::Event event;
  events::MessagesPurged* purge = event.mutable_messages_purged();
  purge->set_mailbox_id(user_id);
  purge->add_message_ids(id);
  purge->set_reason("deleted from Trash by the user in webmail");
  reply.events.push_back(std::move(event));
  return reply;
}

}  // namespace

std::variant<Reply, StartMailJob> MailRoutes::ChangeMessage(const HttpRequest& request,
                                                            const std::string& user_id,
                                                            const std::string& message_id,
                                                            std::string_view action) {
  if (action == "flags") {
    FlagsBody body;
    if (!internal::ParseJsonBody(request.body, body)) {
      return ErrorResponse(400, "malformed_json", "malformed JSON");
    }
    if (!body.has_seen() && !body.has_flagged()) {
      return ErrorResponse(400, "invalid_request", "give seen, flagged or both");
    }
    return StartMailJob{[user_id, message_id, body](const MailStore& store) {
      return SetFlags(store, user_id, message_id, body);
    }};
  }
  if (action == "move") {
    MoveBody body;
    if (!internal::ParseJsonBody(request.body, body)) {
      return ErrorResponse(400, "malformed_json", "malformed JSON");
    }
    if (!internal::ValidFolderName(body.folder())) {
      return ErrorResponse(400, "bad_folder", "not a folder name");
    }
    return StartMailJob{[user_id, message_id, folder = body.folder()](const MailStore& store) {
      return Move(store, user_id, message_id, folder);
    }};
  }
  LB_CHECK(action == "delete");  // MailRouteMethods matched nothing else
  DeleteBody body;
  if (!internal::ParseJsonBody(request.body, body)) {
    return ErrorResponse(400, "malformed_json", "malformed JSON");
  }
  return StartMailJob{
      [user_id, message_id](const MailStore& store) { return Delete(store, user_id, message_id); }};
}

}  // namespace lifeboat::webmail
