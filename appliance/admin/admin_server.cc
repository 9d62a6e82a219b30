#include "appliance/admin/admin_server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

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

std::string MethodName(evhttp_cmd_type command) {
  switch (command) {
    case EVHTTP_REQ_GET:
      return "GET";
    case EVHTTP_REQ_POST:
      return "POST";
    case EVHTTP_REQ_HEAD:
      return "HEAD";
    case EVHTTP_REQ_PUT:
      return "PUT";
    case EVHTTP_REQ_DELETE:
      return "DELETE";
    default:
      return "OTHER";
  }
}

uint16_t BoundPort(evutil_socket_t fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
}

}  // namespace

Result<std::unique_ptr<AdminServer>> AdminServer::Start(event_base* base, const std::string& host,
                                                        uint16_t port, AdminRouter& router) {
  std::unique_ptr<AdminServer> server(new AdminServer(router));
  server->http_ = evhttp_new(base);
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
    std::string where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                        std::to_string(port);
    return Status::IoError("admin: cannot listen on " + where + ": " + std::strerror(errno));
  }
  server->port_ = BoundPort(evhttp_bound_socket_get_fd(socket));
  return server;
}

AdminServer::~AdminServer() {
  Stop();
}

void AdminServer::Stop() {
  if (http_ != nullptr) evhttp_free(http_);
  http_ = nullptr;
}

void AdminServer::OnRequest(evhttp_request* request, void* arg) {
  auto* server = static_cast<AdminServer*>(arg);
  AdminRequest admin_request;
  admin_request.method = MethodName(evhttp_request_get_command(request));
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
  const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  const char* query = uri != nullptr ? evhttp_uri_get_query(uri) : nullptr;
  admin_request.path = path != nullptr ? path : "/";
  admin_request.query = query != nullptr ? query : "";
  const char* authorization =
      evhttp_find_header(evhttp_request_get_input_headers(request), "Authorization");
  admin_request.authorization = authorization != nullptr ? authorization : "";

  AdminResponse response = server->router_.Handle(admin_request);

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

}  // namespace lifeboat::admin
