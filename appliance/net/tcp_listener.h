#pragma once
// A listening TCP socket on the libevent loop (evconnlistener). Accepted sockets are handed to a
// callback with the peer's address as text; the callback owns the fd from then on.

#include <sys/socket.h>

#include <functional>
#include <memory>
#include <string>

#include "appliance/env/status.h"

struct evconnlistener;
struct event_base;

namespace lifeboat::net {

inline constexpr int kListenBacklogMax = 511;

class TcpListener {
 public:
  using OnAccept = std::function<void(int fd, std::string peer)>;
  // `address` is "HOST:PORT" or "[V6]:PORT". Port 0 picks a free port (see bound_address()).
  static Result<std::unique_ptr<TcpListener>> Listen(event_base* base, const std::string& address,
                                                     OnAccept on_accept);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  const std::string& bound_address() const { return bound_address_; }
  void Pause();
  void Resume();

 private:
  TcpListener() = default;
  static void OnAcceptEvent(evconnlistener* listener, int fd, sockaddr* address, int length,
                            void* arg);
  evconnlistener* listener_ = nullptr;
  OnAccept on_accept_;
  std::string bound_address_;
};

// "1.2.3.4:25" / "[::1]:25" for a socket address.
std::string FormatSocketAddress(const sockaddr* address);

// The reverse, for numeric hosts only; port 0 is accepted (libevent's evutil_parse_sockaddr_port
// refuses it). False if `text` is not HOST:PORT or [V6]:PORT.
bool ParseSocketAddress(const std::string& text, sockaddr_storage* address, socklen_t* length);

}  // namespace lifeboat::net
