#include "appliance/admin/admin_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "appliance/admin/host_port.h"

namespace lifeboat::admin {

namespace {

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<HttpReply> AdminGet(const std::string& host, uint16_t port, const std::string& target,
                           const std::string& token) {
  return AdminCall(host, port, "GET", target, token);
}

Result<HttpReply> AdminCall(const std::string& host, uint16_t port, const std::string& method,
                            const std::string& target, const std::string& token) {
  sockaddr_storage address{};
  socklen_t length = 0;
  if (host.find(':') != std::string::npos) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) != 1) {
      return Status::InvalidArgument("admin: bad address " + host);
    }
    length = sizeof(*v6);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) != 1) {
      return Status::InvalidArgument("admin: bad address " + host);
    }
    length = sizeof(*v4);
  }
  Socket socket_fd(socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (socket_fd.fd() < 0) return Status::IoError(std::string("admin: socket: ") + strerror(errno));
  timeval timeout{kAdminClientTimeoutSeconds, 0};
  setsockopt(socket_fd.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(socket_fd.fd(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  if (connect(socket_fd.fd(), reinterpret_cast<sockaddr*>(&address), length) != 0) {
    const int error = errno;
    std::string message = "admin API at " + HostPort(host, port) + ": " + std::strerror(error);
    if (error == ECONNREFUSED) return Status::Unavailable(message);
    return Status::IoError(message);
  }
  std::string request =
      method + " " + target + " HTTP/1.0\r\nHost: " + HostPort(host, port) + "\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  if (method != "GET") request += "Content-Length: 0\r\n";
  request += "\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(socket_fd.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IoError(std::string("admin: send: ") + std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buffer[16384];
  while (true) {
    ssize_t n = recv(socket_fd.fd(), buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError(std::string("admin: recv: ") + std::strerror(errno));
    if (n == 0) break;
    response.append(buffer, static_cast<size_t>(n));
    if (response.size() > kAdminClientResponseBytesMax) {
      return Status::ResourceExhausted("admin: reply larger than " +
                                       std::to_string(kAdminClientResponseBytesMax) + " bytes");
    }
  }
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody" (RFC 9112 section 4).
  size_t space = response.find(' ');
  size_t header_end = response.find("\r\n\r\n");
  if (response.compare(0, 5, "HTTP/") != 0 || space == std::string::npos ||
      header_end == std::string::npos || response.size() < space + 4) {
    return Status::Corruption("admin: malformed HTTP reply");
  }
  HttpReply reply;
  auto [end, error] =
      std::from_chars(response.data() + space + 1, response.data() + space + 4, reply.status);
  if (error != std::errc() || end != response.data() + space + 4) {
    return Status::Corruption("admin: malformed HTTP status line");
  }
  reply.body = response.substr(header_end + 4);
  return reply;
}

}  // namespace lifeboat::admin
