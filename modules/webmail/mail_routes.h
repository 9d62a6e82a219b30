#pragma once
// The webmail's mail endpoints (webmail_contract.md; issue 12 item 2): folders, message lists
// with a cursor, one message's text, one attachment at a time, flags, move, delete, send and the
// company directory. No export: there is no route for a raw message, an mbox or a folder dump.
//
// Reached through WebmailHandler (handler.h) only after its checks: a committed session, and for
// a POST the Origin, the JSON content type and the CSRF token. Ownership: the mailbox read or
// changed is always the session user's own (its id is the mailbox id, mailbox_projection.h), so
// another user's message id is simply not found: 404, never 403 (no confirmation that it exists).
//
// What can be checked without reading state (the path, the query, the JSON body, the limits) is
// answered at once. The rest becomes a MailJob: a function of the mailbox projection and the
// directory that the driver runs off the loop thread (reads, MIME parsing and writing), returning
// the Reply and the events it proposes (MessageFlagsChanged, MessageMoved, MessagesPurged,
// MailReceived). The simulator can run the same job inline. Time and randomness (a sent mail's
// id and Date) are taken from the Env on the loop thread, before the job.

#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "appliance/env/env.h"
#include "modules/directory/directory_view.h"
#include "modules/mailbox/mailbox_reader.h"
#include "modules/webmail/http_message.h"

namespace lifeboat::webmail {

struct Reply;

// What a job reads. Both are safe to read from any thread.
struct MailStore {
  const mailbox::MailboxReader& mailboxes;
  const directory::DirectoryView& directory;
};
using MailJob = std::function<Reply(const MailStore& store)>;
struct StartMailJob {
  MailJob job;
};

// The mail routes' methods for `path`, as an Allow value ("GET", "POST"); "" when `path` is no
// mail route.
std::string_view MailRouteMethods(std::string_view path);

class MailRoutes {
 public:
  explicit MailRoutes(Env& env) : env_(env) {}

  // `request` is on a mail route with an allowed method and passed the session checks;
  // `user_id` is the session's user. Loop thread only.
  std::variant<Reply, StartMailJob> Handle(const HttpRequest& request, const std::string& user_id);

 private:
  // POST /api/messages/<id>/{flags,move,delete} (mail_changes.cc).
  std::variant<Reply, StartMailJob> ChangeMessage(const HttpRequest& request,
                                                  const std::string& user_id,
                                                  const std::string& message_id,
                                                  std::string_view action);
  // POST /api/send (mail_send.cc).
  std::variant<Reply, StartMailJob> Send(const HttpRequest& request, const std::string& user_id);
  // A new mail id: wall time then randomness, like the SMTP server's (smtp_server.cc).
  std::string NewMailId();

  Env& env_;
};

}  // namespace lifeboat::webmail
