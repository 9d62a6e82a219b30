#include "appliance/admin/admin_server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <iterator>

#include "appliance/env/check.h"
#include "appliance/net/evhttp_support.h"

namespace lifeboat::admin {

namespace {

std::string ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

void Send(evhttp_request* request, const AdminResponse& response) {
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  evhttp_add_header(headers, "Content-Type", response.content_type.c_str());
  evhttp_add_header(headers, "Cache-Control", "no-store");
  for (const auto& [name, value] : response.headers) {
    evhttp_add_header(headers, name.c_str(), value.c_str());
  }
  evbuffer* body = evbuffer_new();
  evbuffer_add(body, response.body.data(), response.body.size());
  evhttp_send_reply(request, response.status, ReasonPhrase(response.status).c_str(), body);
  evbuffer_free(body);
}

}  // namespace

Result<std::unique_ptr<AdminServer>> AdminServer::Start(LibeventEnv& env, const std::string& host,
                                                        uint16_t port, AdminRouter& router) {
  std::unique_ptr<AdminServer> server(new AdminServer(env, router));
  server->base_ = env.base();
  server->http_ = evhttp_new(server->base_);
  if (server->http_ == nullptr) return Status::IoError("admin: evhttp_new failed");
  evhttp_set_max_headers_size(server->http_, kAdminRequestBytesMax);
  evhttp_set_max_body_size(server->http_, kAdminRequestBodyBytesMax);
  evhttp_set_timeout(server->http_, kAdminRequestTimeoutSeconds);
  // Every method reaches the router so it can answer 405 with Allow (RFC 9110 section 15.5.6).
  evhttp_set_allowed_methods(server->http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                                EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
  evhttp_set_gencb(server->http_, &AdminServer::OnRequest, server.get());
  evhttp_bound_socket* socket = evhttp_bind_socket_with_handle(server->http_, host.c_str(), port);
  if (socket == nullptr) {
    const int error = errno;
    return Status::IoError("admin: cannot listen on " + HostPort(host, port) + ": " +
                           std::strerror(error));
  }
  server->port_ = BoundPort(evhttp_bound_socket_get_fd(socket));
  return server;
}

AdminServer::~AdminServer() {
  Stop();
  *self_ = nullptr;
}

void AdminServer::Stop() {
  // Connections first: evhttp frees the held requests with them (and may report the closes).
  if (http_ != nullptr) evhttp_free(http_);
  http_ = nullptr;
  while (!waiters_.empty()) Forget(waiters_.begin());
  readers_.clear();  // evhttp freed their requests
}

void AdminServer::Hold(evhttp_request* request, const AppliedWait& wait) {
  if (waiters_.size() >= kAdminWaitingRequestsMax) {
    AdminResponse busy;
    busy.status = 503;
    busy.body = "too many status requests waiting (" + std::to_string(kAdminWaitingRequestsMax) +
                "): try again\n";
    Send(request, busy);
    return;
  }
  Waiter& waiter = waiters_.emplace_back(
      Waiter{this, request, evhttp_request_get_connection(request), wait, 0, nullptr});
  evhttp_connection_set_closecb(waiter.connection, &AdminServer::OnConnectionClose, this);
  const evutil_socket_t fd =
      bufferevent_getfd(evhttp_connection_get_bufferevent(waiter.connection));
  waiter.peer_closed = event_new(base_, fd, EV_CLOSED, &AdminServer::OnPeerClosed, &waiter);
  if (waiter.peer_closed != nullptr && event_add(waiter.peer_closed, nullptr) != 0) {
    event_free(waiter.peer_closed);
    waiter.peer_closed = nullptr;
  }
  const Waiter* waiting = &waiter;
  waiter.bound_timer = env_.StartTimer(std::chrono::milliseconds(wait.bound_ms),
                                       [this, waiting] { AnswerIfWaiting(waiting); });
}

void AdminServer::NotifyApplied(uint64_t applied_index) {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    auto next = std::next(it);
    if (it->wait.applied_index <= applied_index) Answer(it);
    it = next;
  }
}

void AdminServer::OnPeerClosed(int, short, void* arg) {
  auto* waiter = static_cast<Waiter*>(arg);
  waiter->server->AnswerIfWaiting(waiter);
}

void AdminServer::AnswerIfWaiting(const Waiter* waiter) {
  for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
    if (&*it == waiter) {
      // The bound passed, or the client left (the answer then lets evhttp find the dead socket):
      // 200 if the index was applied meanwhile, else 503.
      Answer(it);
      return;
    }
  }
}

void AdminServer::OnConnectionClose(evhttp_connection* connection, void* arg) {
  auto* server = static_cast<AdminServer*>(arg);
  for (auto it = server->waiters_.begin(); it != server->waiters_.end();) {
    auto next = std::next(it);
    if (it->connection == connection) server->Forget(it);
    it = next;
  }
  std::erase_if(server->readers_,
                [connection](const auto& entry) { return entry.second.connection == connection; });
}

void AdminServer::HoldForRead(evhttp_request* request,
                              const std::function<void(AdminReply reply)>& later) {
  const uint64_t id = next_reader_id_++;
  evhttp_connection* connection = evhttp_request_get_connection(request);
  readers_.emplace(id, Reader{request, connection});
  evhttp_connection_set_closecb(connection, &AdminServer::OnConnectionClose, this);
  std::weak_ptr<AdminServer*> server = self_;
  later([server, id](AdminResponse response) {
    std::shared_ptr<AdminServer*> alive = server.lock();
    if (alive == nullptr || *alive == nullptr) return;  // the server is gone
    (*alive)->AnswerRead(id, response);
  });
}

void AdminServer::AnswerRead(uint64_t id, const AdminResponse& response) {
  auto reader = readers_.find(id);
  if (reader == readers_.end()) return;  // its connection closed, or the server stopped
  evhttp_request* request = reader->second.request;
  readers_.erase(reader);
  Send(request, response);
}

void AdminServer::Answer(std::list<Waiter>::iterator waiter) {
  evhttp_request* request = waiter->request;
  const AppliedWait wait = waiter->wait;
  Forget(waiter);
  Send(request, router_.AnswerWait(wait));
}

void AdminServer::Forget(std::list<Waiter>::iterator waiter) {
  env_.CancelTimer(waiter->bound_timer);  // a no-op once it fired (env.h)
  if (waiter->peer_closed != nullptr) event_free(waiter->peer_closed);
  waiters_.erase(waiter);
}

void AdminServer::OnRequest(evhttp_request* request, void* arg) {
  auto* server = static_cast<AdminServer*>(arg);
  AdminRequest admin_request;
  admin_request.method = HttpMethodName(evhttp_request_get_command(request));
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
  const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  const char* query = uri != nullptr ? evhttp_uri_get_query(uri) : nullptr;
  admin_request.path = path != nullptr ? path : "/";
  admin_request.query = query != nullptr ? query : "";
  const char* authorization =
      evhttp_find_header(evhttp_request_get_input_headers(request), "Authorization");
  admin_request.authorization = authorization != nullptr ? authorization : "";

  AdminResponse response = server->router_.Handle(admin_request);
  if (response.wait.has_value()) {
    server->Hold(request, *response.wait);
    return;
  }
  if (response.later != nullptr) {
    server->HoldForRead(request, response.later);
    return;
  }
  Send(request, response);
}

}  // namespace lifeboat::admin
