#pragma once
// The admin API as a sans-I/O core: a request (method, path, query, Authorization header) in, a
// response out. The evhttp driver (admin_server.h) only moves bytes. Endpoints:
//   GET /healthz              no auth: "ok" (liveness for systemd and the integration test)
//   GET /v1/status            JSON: identity, version, uptime, log and projection indices, ...
//   GET /v1/status?wait_applied=N|last&wait_ms=T  the same, answered once the projections have
//                               applied index N ("last": the commit index when asked), so
//                               a reader sees what was acknowledged; 503 if not within T ms
//   GET /metrics              Prometheus text format
//   GET /v1/log?from=N&count=M  events as JSON, one object per line ("application/x-ndjson")
//   GET /v1/log?before=N&count=M  the M events just before index N (a page of `log tail`;
//                               N past the log's end reads its last M)
//   GET /v1/mailboxes?limit=N   mailboxes, one JSON object per line (`lifeboat mailbox ls`)
//   GET /v1/mailbox?address=A&folder=F&limit=N&after=ID  messages newest first, one object per
//                               line; A is an address or a mailbox id, no folder means every
//                               folder; after=ID continues after message ID (the previous
//                               page's last); a last line {"next_after":ID} when more remain
//   GET /v1/message?mailbox=A&id=M[&raw=1]  one message's metadata (JSON), or with raw=1 the
//                               message exactly as received ("message/rfc822")
//   GET /v1/directory/status    the directory object of /v1/status
//   GET /v1/directory/entry?id=X  one directory entry (X: any of its addresses, or its id)
//   GET /v1/directory/search?q=T&limit=N  entries matching T, one object per line
//   POST /v1/directory/sync?full=0|1&confirm_mass_deprovision=0|1  starts an LDAP sync: 202
//                               with {"id":N,...} (directory_actions.h), then poll:
//   GET /v1/directory/action?id=N  {"state":"running"|"done","outcome":...}
//   POST /v1/directory/import?confirm_mass_deprovision=0|1  re-imports the configured file: 202
//   GET /v1/routing/status      modes per scope, since when, each primary's recent probes
//                               (routing_service.h RoutingStatusJson)
//   POST /v1/routing/override?scope=S&mode=continuity|normal|auto&operator=O&reason=R
//                               an operator command: one RoutingChanged, answered once durable
//                               with {"index":N}; 409 without [routing]
//   GET /v1/cluster/status      this node's view of the Raft cluster: {"cluster":false} on a
//                               single node; else node id, role, term, leader, commit and applied
//                               indices, the log's last index and the projections' applied index
// Text parameters are percent-encoded (query_string.h).
// Every endpoint but /healthz needs "Authorization: Bearer <token>" (RFC 6750 section 2.1); a
// missing or wrong token gets 401 with WWW-Authenticate: Bearer (RFC 6750 section 3).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "appliance/env/status.h"

namespace lifeboat::admin {

// Limits, units last.
inline constexpr size_t kAdminRequestBytesMax = 16 * 1024;     // headers + body
inline constexpr size_t kAdminRequestBodyBytesMax = 4 * 1024;  // no endpoint takes a body yet
inline constexpr int kAdminRequestTimeoutSeconds = 10;
inline constexpr uint64_t kAdminLogCountDefault = 20;
inline constexpr uint64_t kAdminLogCountMax = 1000;
// A status request may wait this long for the projections, at most: under the CLI's socket
// timeout and evhttp's connection timeout (kAdminClientTimeoutSeconds,
// kAdminRequestTimeoutSeconds).
inline constexpr uint64_t kAdminWaitMillisecondsMax = 8000;
inline constexpr size_t kAdminWaitingRequestsMax = 64;  // held at once (admin_server.h)

struct AdminRequest {
  std::string method;         // "GET", "POST"
  std::string path;           // "/v1/log"
  std::string query;          // "from=1&count=5", without '?'
  std::string authorization;  // the Authorization header, "" when absent
};

// A request that is answered later: once the projections have applied `applied_index`, or after
// `bound_ms`. The driver holds the request and calls AdminRouter::AnswerWait (admin_server.h).
struct AppliedWait {
  uint64_t applied_index = 0;
  uint64_t bound_ms = 0;
};

struct AdminResponse;
// Sends the answer to a request whose response was `later`: once, on the loop thread.
using AdminReply = std::function<void(AdminResponse response)>;

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<AppliedWait> wait;  // set: no answer yet, the fields above are unused
  // Set: no answer yet (a read runs off the loop); the driver calls it once with the AdminReply
  // that sends the answer, and serves other requests meanwhile. The fields above are unused.
  std::function<void(AdminReply reply)> later;
};

// What the API reads from the node. Implemented by the node (node_admin_backend.h); loop thread.
class AdminBackend {
 public:
  // The result of a read of the stores: run once, on the loop thread. Reads that touch LevelDB
  // take one, so that the backend can run them off the loop (a 50 MiB message must not stall
  // SMTP); the router answers through AdminResponse::later.
  using ReadDone = std::function<void(Result<std::string> result)>;

  virtual ~AdminBackend() = default;
  virtual std::string StatusJson() = 0;
  // The log is committed through this index (eventlog/proposer.h): `wait_applied=last` waits for
  // it, never for the log's last index, which may hold an uncommitted suffix under Raft.
  virtual uint64_t CommitIndex() = 0;
  // The log's last index, committed or not: the end of what `lifeboat log tail` shows.
  virtual uint64_t LogLastIndex() = 0;
  virtual uint64_t ProjectionAppliedIndex() = 0;
  virtual std::string MetricsText() = 0;
  // Events from..from+count-1 (clamped to the log), one JSON object per line. NotFound when
  // `from` is outside the log.
  virtual void LogJson(uint64_t from, uint64_t count, ReadDone done) = 0;

  // Mailbox and directory reads (mailbox_queries.h, directory_queries.h). Errors: NotFound (404),
  // InvalidArgument (400), FailedPrecondition (409), Unavailable (503), others 500.
  virtual void MailboxesJson(uint64_t limit, ReadDone done) = 0;
  // `folder` "" means every folder; `after` "" the first page, else the message id that ended
  // the previous page (MailboxQueries::Messages).
  virtual void MailboxMessagesJson(std::string address_or_id, std::string folder, uint64_t limit,
                                   std::string after, ReadDone done) = 0;
  virtual void MessageJson(std::string address_or_id, std::string message_id, ReadDone done) = 0;
  virtual void RawMessage(std::string address_or_id, std::string message_id, ReadDone done) = 0;
  // The directory's in-memory view: answered at once.
  virtual std::string DirectoryStatusJson() = 0;
  virtual Result<std::string> DirectoryEntryJson(std::string_view address_or_id) = 0;
  virtual Result<std::string> DirectorySearchJson(std::string_view text, uint64_t limit) = 0;
  // Directory actions: start one and return its JSON (directory_actions.h) at once.
  virtual Result<std::string> StartDirectorySync(bool full, bool confirm_mass_deprovision) = 0;
  virtual Result<std::string> StartDirectoryImport(bool confirm_mass_deprovision) = 0;
  virtual Result<std::string> DirectoryActionJson(uint64_t id) = 0;

  // Continuity routing: the status at once; an override (`mode` "continuity", "normal" or
  // "auto") answers {"index":N} once its event is durable. InvalidArgument for a bad scope,
  // FailedPrecondition when [routing] is not configured.
  virtual std::string RoutingStatusJson() = 0;
  // /v1/cluster/status. The default: a single node.
  virtual std::string ClusterStatusJson() { return "{\"cluster\":false}"; }
  virtual void SetRoutingOverride(std::string scope, std::string mode, std::string operator_name,
                                  std::string reason, ReadDone done) = 0;
  // `lifeboat auth codes`: `count` break-glass activation codes for the user named by
  // `address_or_id`, proposed as ActivationCodeIssued (their SHA-256 only); `done` gets one JSON
  // line per code ({"user":...,"user_id":...,"code":...}) once they are applied, so that each
  // code works when the operator reads it. NotFound: no such user.
  virtual void IssueBreakGlassCodes(std::string address_or_id, uint64_t count, ReadDone done) = 0;
};

class AdminRouter {
 public:
  // `backend` must outlive the router.
  AdminRouter(AdminBackend& backend, std::string token)
      : backend_(backend), token_(std::move(token)) {}

  // The response, or one with `wait` or `later` set, answered afterwards.
  AdminResponse Handle(const AdminRequest& request);
  // The answer to a request Handle deferred: the status if the index is applied, else 503.
  AdminResponse AnswerWait(const AppliedWait& wait);

 private:
  struct Endpoint {
    std::string_view path;
    std::string_view method;
    AdminResponse (AdminRouter::*handle)(const AdminRequest& request);
  };
  static const Endpoint* FindEndpoint(std::string_view path);

  bool Authorized(const AdminRequest& request) const;
  AdminResponse HandleStatus(const AdminRequest& request);
  AdminResponse HandleMetrics(const AdminRequest& request);
  AdminResponse HandleLog(const AdminRequest& request);
  AdminResponse HandleMailboxes(const AdminRequest& request);
  AdminResponse HandleMailbox(const AdminRequest& request);
  AdminResponse HandleMessage(const AdminRequest& request);
  AdminResponse HandleDirectoryStatus(const AdminRequest& request);
  AdminResponse HandleDirectoryEntry(const AdminRequest& request);
  AdminResponse HandleDirectorySearch(const AdminRequest& request);
  AdminResponse HandleDirectorySync(const AdminRequest& request);
  AdminResponse HandleDirectoryImport(const AdminRequest& request);
  AdminResponse HandleDirectoryAction(const AdminRequest& request);
  AdminResponse HandleRoutingStatus(const AdminRequest& request);
  AdminResponse HandleClusterStatus(const AdminRequest& request);
  AdminResponse HandleRoutingOverride(const AdminRequest& request);
  AdminResponse HandleAuthCodes(const AdminRequest& request);

  AdminBackend& backend_;
  const std::string token_;
};

}  // namespace lifeboat::admin
