#include "appliance/net/tcp_listener.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>

namespace lifeboat::net {

std::string FormatSocketAddress(const sockaddr* address) {
  // Built by appending to one string: `"[" + std::string(host) + ...` makes GCC 12 at -O3 report
  // a -Wrestrict false positive inside std::string's operator+ (GCC bug 105329).
  char host[INET6_ADDRSTRLEN] = "?";
  std::string formatted;
  uint16_t port = 0;
  if (address->sa_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    formatted.append(host);
    port = ntohs(v4->sin_port);
  } else if (address->sa_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    formatted.append(1, '[').append(host).append(1, ']');
    port = ntohs(v6->sin6_port);
  } else {
    return "?";
  }
  formatted.append(1, ':').append(std::to_string(port));
  return formatted;
}

bool ParseSocketAddress(const std::string& text, sockaddr_storage* address, socklen_t* length) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) return false;
  unsigned port = 0;
  const char* port_end = text.data() + text.size();
  auto [end, error] = std::from_chars(text.data() + colon + 1, port_end, port);
  if (error != std::errc() || end != port_end || port > 65535) return false;
  std::string host = text.substr(0, colon);
  *address = sockaddr_storage{};
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6->sin6_addr) != 1) {
      return false;
    }
    *length = sizeof *v6;
    return true;
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(address);
  v4->sin_family = AF_INET;
  v4->sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) != 1) return false;
  *length = sizeof *v4;
  return true;
}

Result<std::unique_ptr<TcpListener>> TcpListener::Listen(event_base* base,
                                                         const std::string& address,
                                                         OnAccept on_accept) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (!ParseSocketAddress(address, &storage, &length)) {
    return Status::InvalidArgument("listen address '" + address + "': expected HOST:PORT");
  }
  std::unique_ptr<TcpListener> listener(new TcpListener());
  listener->on_accept_ = std::move(on_accept);
  listener->listener_ = evconnlistener_new_bind(
      base, &TcpListener::OnAcceptEvent, listener.get(),
      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, kListenBacklogMax,
      reinterpret_cast<sockaddr*>(&storage), static_cast<int>(length));
  if (listener->listener_ == nullptr) {
    return Status::IoError("cannot listen on " + address + ": " +
                           evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  getsockname(evconnlistener_get_fd(listener->listener_), reinterpret_cast<sockaddr*>(&bound),
              &bound_length);
  listener->bound_address_ = FormatSocketAddress(reinterpret_cast<sockaddr*>(&bound));
  return listener;
}

TcpListener::~TcpListener() {
  if (listener_ != nullptr) evconnlistener_free(listener_);
}

void TcpListener::Pause() {
  evconnlistener_disable(listener_);
}
void TcpListener::Resume() {
  evconnlistener_enable(listener_);
}

void TcpListener::OnAcceptEvent(evconnlistener*, int fd, sockaddr* address, int, void* arg) {
  auto* self = static_cast<TcpListener*>(arg);
  self->on_accept_(fd, FormatSocketAddress(address));
}

}  // namespace lifeboat::net
