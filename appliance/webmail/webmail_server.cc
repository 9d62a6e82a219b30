#include "appliance/webmail/webmail_server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <variant>

#include "appliance/env/check.h"
#include "appliance/log_mail_bodies.h"
#include "appliance/mailbox_read_state.h"
#include "appliance/net/evhttp_support.h"
#include "modules/webmail/mail_limits.h"
#include "modules/webmail/message_html.h"
#include "modules/webmail/webmail_limits.h"

namespace lifeboat::webmail {
namespace {

// evhttp's own bounds, checked before the core sees a request: the core's limits are the policy,
// these only keep a request that would break them from being buffered whole.
constexpr size_t kHeadersBytesMax = 16 * 1024;
// A request slower than this (headers or body) is dropped: slowloris.
constexpr int kRequestTimeoutSeconds = 30;

// One TLS bufferevent per accepted connection, from the current context (evhttp_set_bevcb).
bufferevent* NewTlsBufferevent(event_base* base, void* arg) {
  auto* tls = static_cast<net::ServerTlsContext*>(arg);
  SSL_CTX* context = tls->Acquire();
  if (context == nullptr) return nullptr;
  SSL* ssl = SSL_new(context);
  SSL_CTX_free(context);  // SSL_new took its own reference
  if (ssl == nullptr) return nullptr;
  return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
}

HttpRequest CopyRequest(evhttp_request* request) {
  HttpRequest copy;
  copy.method = HttpMethodName(evhttp_request_get_command(request));
  const char* uri = evhttp_request_get_uri(request);
  copy.target = uri != nullptr ? uri : "/";
  evkeyvalq* headers = evhttp_request_get_input_headers(request);
  for (evkeyval* header = headers->tqh_first; header != nullptr; header = header->next.tqe_next) {
    copy.headers.emplace_back(header->key, header->value);
  }
  evbuffer* body = evhttp_request_get_input_buffer(request);
  const size_t length = evbuffer_get_length(body);
  copy.body.resize(length);
  if (length > 0) evbuffer_copyout(body, copy.body.data(), length);
  char* peer = nullptr;
  uint16_t peer_port = 0;
  evhttp_connection_get_peer(evhttp_request_get_connection(request), &peer, &peer_port);
  copy.peer_address = peer != nullptr ? peer : "";
  return copy;
}

void Send(evhttp_request* request, const HttpResponse& response) {
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  for (const auto& [name, value] : response.headers) {
    evhttp_add_header(headers, name.c_str(), value.c_str());
  }
  evbuffer* body = evbuffer_new();
  evbuffer_add(body, response.body.data(), response.body.size());
  evhttp_send_reply(request, response.status, nullptr, body);  // evhttp picks the phrase
  evbuffer_free(body);
}

}  // namespace

WebmailServer::WebmailServer(LibeventEnv& env, const auth::AuthView& auth_view,
                             const directory::DirectoryView& directory,
                             eventlog::Proposer& proposer, const eventlog::StateReader& state,
                             const eventlog::LogStore& log)
    : env_(env),
      auth_view_(auth_view),
      directory_(directory),
      proposer_(proposer),
      state_(state),
      log_(log),
      mail_reading_(std::make_shared<const MailReading>(state, log)) {}

Result<std::unique_ptr<WebmailServer>> WebmailServer::Start(
    LibeventEnv& env, WebmailServerOptions options, const auth::AuthView& auth_view,
    const directory::DirectoryView& directory, eventlog::Proposer& proposer,
    const eventlog::StateReader& state, const eventlog::LogStore& log) {
  std::unique_ptr<WebmailServer> server(
      new WebmailServer(env, auth_view, directory, proposer, state, log));
  server->ui_ = std::move(options.ui);
  auto tls = net::ServerTlsContext::Load(options.tls);
  if (!tls.ok()) return Status(tls.status().code(), "webmail TLS: " + tls.status().message());
  server->tls_ = std::move(tls).value();
  server->http_ = evhttp_new(env.base());
  if (server->http_ == nullptr) return Status::IoError("webmail: evhttp_new failed");
  evhttp_set_bevcb(server->http_, &NewTlsBufferevent, server->tls_.get());
  evhttp_set_max_headers_size(server->http_, kHeadersBytesMax);
  // The largest body is a sent mail's (its attachments); the core holds every other route to
  // kApiBodyBytesMax.
  evhttp_set_max_body_size(server->http_, kSendBodyBytesMax);
  evhttp_set_timeout(server->http_, kRequestTimeoutSeconds);
  // Every method reaches the core, which answers 405 with Allow (RFC 9110 section 15.5.6).
  evhttp_set_allowed_methods(server->http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                                EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                                EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
  evhttp_set_gencb(server->http_, &WebmailServer::OnRequest, server.get());
  evhttp_bound_socket* socket =
      evhttp_bind_socket_with_handle(server->http_, options.host.c_str(), options.port);
  if (socket == nullptr) {
    const int error = errno;
    return Status::IoError("webmail: cannot listen on " + options.host + ":" +
                           std::to_string(options.port) + ": " + std::strerror(error));
  }
  server->port_ = BoundPort(evhttp_bound_socket_get_fd(socket));
  server->origin_ = options.origin;
  if (server->origin_.empty()) {
    const bool v6 = options.host.find(':') != std::string::npos;
    server->origin_ = "https://" + (v6 ? "[" + options.host + "]" : options.host) +
                      (server->port_ == 443 ? "" : ":" + std::to_string(server->port_));
  }
  server->limits_ = std::make_unique<AddressLimits>(options.limits);
  server->login_ = std::make_unique<auth::LoginCore>(env, auth_view, server->throttle_);
  WebmailConfig config;
  config.origin = server->origin_;
  config.assets = server->ui_.has_value() ? &*server->ui_ : nullptr;
  server->handler_ =
      std::make_unique<WebmailHandler>(env, auth_view, server->activity_, std::move(config));
  return server;
}

WebmailServer::~WebmailServer() {
  Stop();
  *self_ = nullptr;
}

void WebmailServer::Stop() {
  if (http_ != nullptr) evhttp_free(http_);  // frees the held requests with their connections
  http_ = nullptr;
  pending_.clear();
}

void WebmailServer::OnRequest(evhttp_request* request, void* arg) {
  static_cast<WebmailServer*>(arg)->Handle(request);
}

void WebmailServer::OnConnectionClose(evhttp_connection* connection, void* arg) {
  auto* server = static_cast<WebmailServer*>(arg);
  auto peer = server->connection_peers_.find(connection);
  if (peer != server->connection_peers_.end()) {
    server->limits_->CloseConnection(peer->second);
    server->connection_peers_.erase(peer);
  }
  // The request died with its connection: its events still commit, the reply goes nowhere.
  for (auto& [id, pending] : server->pending_) {
    if (pending.connection == connection) pending.request = nullptr;
  }
}

uint64_t WebmailServer::Hold(evhttp_request* request) {
  const uint64_t id = next_id_++;
  Pending pending;
  pending.request = request;
  pending.connection = evhttp_request_get_connection(request);
  pending_.emplace(id, std::move(pending));
  return id;
}

std::optional<std::string> WebmailServer::ResolveUser(const std::string& user_name) const {
  auto entry = directory_.FindByAddress(user_name);
  if (!entry.has_value()) return std::nullopt;
  return entry->id();
}

std::optional<Reply> WebmailServer::CheckAddressLimits(evhttp_request* request,
                                                       const std::string& peer) {
  evhttp_connection* connection = evhttp_request_get_connection(request);
  if (!connection_peers_.contains(connection)) {
    if (!limits_->OpenConnection(peer)) {
      Reply refused = ErrorResponse(503, "too_many_connections",
                                    "too many connections from your address; try again later");
      refused.response.SetHeader("Connection", "close");
      return refused;
    }
    connection_peers_.emplace(connection, peer);
    evhttp_connection_set_closecb(connection, &WebmailServer::OnConnectionClose, this);
  }
  if (std::optional<std::chrono::seconds> wait = limits_->AdmitRequest(peer, env_.MonotonicNow())) {
    Reply refused =
        ErrorResponse(429, "rate_limited", "too many requests from your address; try again later");
    refused.response.SetHeader("Retry-After", std::to_string(wait->count()));  // RFC 9110 10.2.3
    return refused;
  }
  return std::nullopt;
}

void WebmailServer::Handle(evhttp_request* request) {
  HttpRequest copy = CopyRequest(request);
  if (std::optional<Reply> refused = CheckAddressLimits(request, copy.peer_address)) {
    Send(request, refused->response);
    return;
  }
  Handled handled = handler_->Handle(copy);
  const uint64_t id = Hold(request);
  if (auto* reply = std::get_if<Reply>(&handled)) {
    Finish(id, std::move(*reply));
  } else if (auto* mail = std::get_if<StartMailJob>(&handled)) {
    RunMailJob(id, std::move(mail->job));
  } else if (auto* login = std::get_if<StartLogin>(&handled)) {
    login->request.user_id = ResolveUser(login->request.user_name);
    RunLogin(id, std::move(login->request));
  } else if (auto* activation = std::get_if<StartActivation>(&handled)) {
    activation->request.user_id = ResolveUser(activation->request.user_name);
    RunActivation(id, std::move(activation->request));
  } else {
    RunMessageHtml(id, std::move(std::get<ReadMessageHtml>(handled)));
  }
}

void WebmailServer::RunMessageHtml(uint64_t id, ReadMessageHtml read) {
  auto result = std::make_shared<Result<HttpResponse>>(Status::Unavailable("not run"));
  std::weak_ptr<WebmailServer*> self = self_;
  env_.RunOffLoop(
      [&state = state_, &log = log_, read = std::move(read), result] {
        StateMailboxReadState read_state(state);
        LogMailBodies bodies(log);
        mailbox::MailboxReader reader(read_state, &bodies);
        auto raw = ReadOwnedRawMessage(reader, read.user_id, read.message_id);
        if (!raw.ok()) {
          *result = raw.status();
          return;
        }
        *result = MessageHtmlResponse(*raw);
      },
      [self, id, result] {
        auto alive = self.lock();
        if (alive == nullptr || *alive == nullptr) return;
        if (result->ok()) {
          Reply reply;
          reply.response = std::move(result->value());
          (*alive)->Finish(id, std::move(reply));
        } else if (result->status().code() == StatusCode::kNotFound) {
          (*alive)->Finish(id, ErrorResponse(404, "not_found", "no such message"));
        } else {
          (*alive)->Finish(id, ErrorResponse(503, "unavailable", "try again in a moment"));
        }
      });
}

void WebmailServer::RunLogin(uint64_t id, auth::LoginRequest request) {
  if (auto outcome = login_->Admit(request); outcome.has_value()) {
    FinishLogin(id, *outcome);
    return;
  }
  // No LDAP bind yet (a later step of issue 12): the cached verifier decides.
  auth::LoginStep step = login_->AfterDirectory(request, auth::DirectoryAnswer::kUnavailable);
  std::weak_ptr<WebmailServer*> self = self_;
  if (auto* outcome = std::get_if<auth::LoginOutcome>(&step)) {
    FinishLogin(id, *outcome);
  } else if (auto* hash = std::get_if<auth::HashJob>(&step)) {
    auto result = std::make_shared<Result<std::string>>(Status::Unavailable("not run"));
    env_.RunOffLoop([job = *hash, result] { *result = job.Run(); },
                    [self, id, request, result] {
                      auto alive = self.lock();
                      if (alive == nullptr || *alive == nullptr) return;
                      (*alive)->FinishLogin(id, (*alive)->login_->AfterHash(request, *result));
                    });
  } else {
    auto result = std::make_shared<Result<bool>>(Status::Unavailable("not run"));
    env_.RunOffLoop([job = std::get<auth::VerifyJob>(step), result] { *result = job.Run(); },
                    [self, id, request, result] {
                      auto alive = self.lock();
                      if (alive == nullptr || *alive == nullptr) return;
                      (*alive)->FinishLogin(id, (*alive)->login_->AfterVerify(request, *result));
                    });
  }
}

void WebmailServer::RunActivation(uint64_t id, auth::ActivationRequest request) {
  auth::ActivationStep step = login_->BeginActivation(request);
  if (auto* outcome = std::get_if<auth::LoginOutcome>(&step)) {
    FinishLogin(id, *outcome);
    return;
  }
  std::weak_ptr<WebmailServer*> self = self_;
  auto result = std::make_shared<Result<std::string>>(Status::Unavailable("not run"));
  env_.RunOffLoop([job = std::get<auth::HashJob>(step), result] { *result = job.Run(); },
                  [self, id, request, result] {
                    auto alive = self.lock();
                    if (alive == nullptr || *alive == nullptr) return;
                    (*alive)->FinishLogin(id,
                                          (*alive)->login_->AfterActivationHash(request, *result));
                  });
}

void WebmailServer::RunMailJob(uint64_t id, MailJob job) {
  if (mail_jobs_in_flight_ >= kMailJobsInFlightMax) {
    Finish(id, ErrorResponse(503, "busy", "too many requests in progress; try again"));
    return;
  }
  ++mail_jobs_in_flight_;
  std::weak_ptr<WebmailServer*> self = self_;
  auto reply = std::make_shared<Reply>();
  env_.RunOffLoop(
      [job = std::move(job), reply, reading = mail_reading_, directory = &directory_] {
        *reply = job(MailStore{reading->reader, *directory});
      },
      [self, id, reply] {
        auto alive = self.lock();
        if (alive == nullptr || *alive == nullptr) return;
        --(*alive)->mail_jobs_in_flight_;
        (*alive)->Finish(id, std::move(*reply));
      });
}

void WebmailServer::FinishLogin(uint64_t id, const auth::LoginOutcome& outcome) {
  Finish(id, handler_->LoginReply(outcome));
}

void WebmailServer::Finish(uint64_t id, Reply reply) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;  // the server stopped
  std::vector<events::Event> events = std::move(reply.events);
  it->second.reply = std::move(reply);
  if (events.empty()) {
    it->second.proposed = true;
    SendIfApplied(id);
    return;
  }
  // Proposals are answered in order: the last one's index covers them all.
  auto remaining = std::make_shared<size_t>(events.size());
  auto failed = std::make_shared<bool>(false);
  std::weak_ptr<WebmailServer*> self = self_;
  for (auto& event : events) {
    proposer_.Propose(std::move(event), [self, id, remaining, failed](Result<uint64_t> index) {
      if (!index.ok()) *failed = true;
      auto alive = self.lock();
      if (alive == nullptr || *alive == nullptr) return;
      auto pending = (*alive)->pending_.find(id);
      if (pending == (*alive)->pending_.end()) return;
      if (index.ok()) {
        pending->second.wait_index = std::max(pending->second.wait_index, *index);
      }
      if (--*remaining > 0) return;
      if (*failed) pending->second.reply = ErrorResponse(503, "unavailable", "try again");
      pending->second.proposed = true;
      (*alive)->SendIfApplied(id);
    });
  }
}

void WebmailServer::NotifyApplied(uint64_t applied_index) {
  applied_index_ = std::max(applied_index_, applied_index);
  std::vector<uint64_t> ready;
  for (const auto& [id, pending] : pending_) {
    if (pending.proposed && pending.wait_index <= applied_index_) ready.push_back(id);
  }
  for (uint64_t id : ready) SendIfApplied(id);
}

void WebmailServer::SendIfApplied(uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end() || !it->second.proposed) return;
  if (it->second.wait_index > applied_index_) return;  // NotifyApplied sends it
  evhttp_request* request = it->second.request;
  HttpResponse response = std::move(it->second.reply.response);
  pending_.erase(it);
  if (request != nullptr) Send(request, response);
}

}  // namespace lifeboat::webmail
