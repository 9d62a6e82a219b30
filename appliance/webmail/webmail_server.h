#pragma once
// The webmail's HTTPS driver (issue 12 item 1): libevent's evhttp over OpenSSL bufferevents, so
// no HTTP parser of ours. Each request is copied into a webmail::HttpRequest, handed to the
// sans-I/O core (modules/webmail/handler.h), and its Reply written back. Login and activation run
// auth::LoginCore: the login name resolved in the directory view, Argon2 off the loop
// (Env::RunOffLoop), and the reply sent only once its events are committed AND applied, so that
// the cookie never reaches the browser before the session it names can be found.
//
// Where it lives: the determinism check (tests/tidy/determinism_check.sh) allows libevent only in
// appliance/ and bans listeners outside appliance/net and the Env. evhttp_bind_socket_with_handle
// is evhttp's own listener, the same exemption the admin API takes (admin/admin_server.cc): the
// simulator drives the core (modules/webmail), never this driver, so the driver's sockets do not
// touch what a seed must replay.
//
// TLS: the policy of net::ServerTlsContext (TLS 1.2 and 1.3 only, Mozilla intermediate), one
// SSL per connection from its current context (a reload applies to new connections). Plain HTTP
// is not served: a client that does not speak TLS fails the handshake and is closed.
//
// Mail routes (modules/webmail/mail_routes.h) run their job on the Env's worker pool
// (RunOffLoop) over the mailbox projection (`state`, committed batches only) and the bodies in
// the log, at most kMailJobsInFlightMax at once (more: 503), then finish like any reply.
//
// The LDAP bind is not wired yet: the directory answers kUnavailable, so only cached verifiers
// (set by activation) log in. Threading: loop thread only.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "appliance/env/libevent_env.h"
#include "appliance/env/status.h"
#include "appliance/log_mail_bodies.h"
#include "appliance/mailbox_read_state.h"
#include "appliance/net/tls_context.h"
#include "eventlog/log_store.h"
#include "eventlog/projection_runner.h"
#include "eventlog/proposer.h"
#include "modules/auth/auth_view.h"
#include "modules/auth/login.h"
#include "modules/auth/login_throttle.h"
#include "modules/auth/session.h"
#include "modules/directory/directory_view.h"
#include "modules/webmail/address_limits.h"
#include "modules/webmail/handler.h"
#include "modules/webmail/static_assets.h"

struct evhttp;
struct evhttp_connection;
struct evhttp_request;

namespace lifeboat::webmail {

struct WebmailServerOptions {
  std::string host;   // "0.0.0.0", "::", "127.0.0.1"
  uint16_t port = 0;  // 0: a free port (see port())
  TlsFiles tls;
  // The origin browsers send: "https://host[:port]". Empty: "https://<host>:<bound port>".
  std::string origin;
  // The browser UI's files (ui_files.h); nullopt: the JSON API only.
  std::optional<StaticAssets> ui;
  // Connections and requests per client address (address_limits.h): over them, 503 or 429.
  AddressLimitsConfig limits;
};

class WebmailServer {
 public:
  // Every reference must outlive the server. `state` and `log` are read off the loop (message
  // bodies: the mailbox projection, and the log that holds the raw bytes).
  static Result<std::unique_ptr<WebmailServer>> Start(
      LibeventEnv& env, WebmailServerOptions options, const auth::AuthView& auth_view,
      const directory::DirectoryView& directory, eventlog::Proposer& proposer,
      const eventlog::StateReader& state, const eventlog::LogStore& log);
  ~WebmailServer();
  WebmailServer(const WebmailServer&) = delete;
  WebmailServer& operator=(const WebmailServer&) = delete;

  uint16_t port() const { return port_; }
  const std::string& origin() const { return origin_; }
  // Closes the listener and every connection; replies still pending are dropped. Idempotent.
  void Stop();
  // SIGHUP: re-reads the certificate; the old one keeps serving on error.
  Status ReloadTls() { return tls_->Reload(); }
  // The projections applied `applied_index`: sends the replies that waited for it.
  void NotifyApplied(uint64_t applied_index);

 private:
  struct Pending {
    evhttp_request* request = nullptr;
    evhttp_connection* connection = nullptr;
    Reply reply;
    uint64_t wait_index = 0;  // send once applied reaches it
    bool proposed = false;    // every event's proposal answered
  };

  WebmailServer(LibeventEnv& env, const auth::AuthView& auth_view,
                const directory::DirectoryView& directory, eventlog::Proposer& proposer,
                const eventlog::StateReader& state, const eventlog::LogStore& log);
  static void OnRequest(evhttp_request* request, void* arg);
  static void OnConnectionClose(evhttp_connection* connection, void* arg);
  void Handle(evhttp_request* request);
  // Counts the request's connection and its rate against the peer address; the refusal to send
  // (503 and close, or 429) when over a limit.
  std::optional<Reply> CheckAddressLimits(evhttp_request* request, const std::string& peer);
  // Holds the request under a new id until `Finish` or its connection closes.
  uint64_t Hold(evhttp_request* request);
  std::optional<std::string> ResolveUser(const std::string& user_name) const;
  void RunLogin(uint64_t id, auth::LoginRequest request);
  void RunActivation(uint64_t id, auth::ActivationRequest request);
  void FinishLogin(uint64_t id, const auth::LoginOutcome& outcome);
  // Reads the message off the loop (in the user's own mailbox only) and answers with its
  // sanitized HTML, or 404.
  void RunMessageHtml(uint64_t id, ReadMessageHtml read);
  void RunMailJob(uint64_t id, MailJob job);
  // Proposes the reply's events, then sends it once they are applied (503 if one failed).
  void Finish(uint64_t id, Reply reply);
  void SendIfApplied(uint64_t id);

  LibeventEnv& env_;
  const auth::AuthView& auth_view_;
  const directory::DirectoryView& directory_;
  eventlog::Proposer& proposer_;
  const eventlog::StateReader& state_;
  const eventlog::LogStore& log_;
  std::optional<StaticAssets> ui_;
  // What mail jobs read off the loop (thread-safe readers), shared with the jobs in flight so
  // that a job still running when the server goes never reads a freed reader.
  struct MailReading {
    MailReading(const eventlog::StateReader& state, const eventlog::LogStore& log)
        : mailbox_state(state), bodies(log), reader(mailbox_state, &bodies) {}
    StateMailboxReadState mailbox_state;
    LogMailBodies bodies;
    mailbox::MailboxReader reader;
  };
  std::shared_ptr<const MailReading> mail_reading_;
  size_t mail_jobs_in_flight_ = 0;
  std::unique_ptr<net::ServerTlsContext> tls_;
  auth::SessionActivity activity_;
  std::unique_ptr<AddressLimits> limits_;
  std::map<evhttp_connection*, std::string> connection_peers_;  // admitted, open connections
  auth::LoginThrottle throttle_;
  std::unique_ptr<auth::LoginCore> login_;
  std::unique_ptr<WebmailHandler> handler_;
  evhttp* http_ = nullptr;
  uint16_t port_ = 0;
  std::string origin_;
  uint64_t applied_index_ = 0;
  std::map<uint64_t, Pending> pending_;
  uint64_t next_id_ = 1;
  // What a callback from off the loop or the proposer holds: null once the server is gone.
  std::shared_ptr<WebmailServer*> self_ = std::make_shared<WebmailServer*>(this);
};

}  // namespace lifeboat::webmail
