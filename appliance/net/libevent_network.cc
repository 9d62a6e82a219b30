#include "appliance/net/libevent_network.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include "appliance/net/cluster_tls_context.h"
#include "appliance/net/stream_connection.h"
#include "appliance/net/tcp_listener.h"
#include "appliance/net/tls_context.h"

namespace lifeboat::net {
namespace {

uint16_t PortOf(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

class LibeventListener : public NetworkListener {
 public:
  explicit LibeventListener(std::unique_ptr<TcpListener> listener)
      : listener_(std::move(listener)) {}
  const std::string& bound_address() const override { return listener_->bound_address(); }
  void Pause() override { listener_->Pause(); }
  void Resume() override { listener_->Resume(); }

 private:
  std::unique_ptr<TcpListener> listener_;
};

// One non-blocking connect(): writability (or the timeout) ends it. SO_ERROR tells which.
class LibeventPendingConnect : public PendingConnect {
 public:
  LibeventPendingConnect(event_base* base, int fd, std::string address,
                         Network::ConnectCallback on_done)
      : base_(base), fd_(fd), address_(std::move(address)), on_done_(std::move(on_done)) {}
  ~LibeventPendingConnect() override {
    if (event_ != nullptr) event_free(event_);
    if (fd_ >= 0) ::close(fd_);
  }

  Status Arm(Duration timeout) {
    event_ = event_new(base_, fd_, EV_WRITE, &LibeventPendingConnect::OnReady, this);
    if (event_ == nullptr) return Status::ResourceExhausted("event_new failed for " + address_);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
    timeval after = {static_cast<time_t>(micros / 1'000'000),
                     static_cast<suseconds_t>(micros % 1'000'000)};
    if (event_add(event_, &after) != 0) {
      return Status::ResourceExhausted("event_add failed for " + address_);
    }
    return Status::Ok();
  }

 private:
  static void OnReady(int, short what, void* arg) {
    auto* self = static_cast<LibeventPendingConnect*>(arg);
    // The owner may destroy this object from inside on_done: nothing touches `self` after it.
    Network::ConnectCallback on_done = std::move(self->on_done_);
    on_done(self->Finish(what));
  }

  Result<std::unique_ptr<ByteStream>> Finish(short what) {
    if (what & EV_TIMEOUT) return Status::Unavailable("connect to " + address_ + ": timed out");
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) {
      return Status::Unavailable("connect to " + address_ + ": " + std::strerror(error));
    }
    const int fd = std::exchange(fd_, -1);  // the stream owns it from here, also on error
    auto stream = StreamConnection::Adopt(base_, fd, address_);
    if (!stream.ok()) return stream.status();
    return std::unique_ptr<ByteStream>(std::move(stream).value());
  }

  event_base* base_;
  int fd_;
  std::string address_;
  Network::ConnectCallback on_done_;
  event* event_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<NetworkListener>> LibeventNetwork::Listen(const std::string& address,
                                                                 AcceptCallback on_accept) {
  auto listener = TcpListener::Listen(
      base_, address, [base = base_, on_accept = std::move(on_accept)](int fd, std::string peer) {
        // Adopt closes the socket if it fails (network.h: such connections are not reported).
        auto stream = StreamConnection::Adopt(base, fd, std::move(peer));
        if (stream.ok()) on_accept(std::move(stream).value());
      });
  if (!listener.ok()) return listener.status();
  return std::unique_ptr<NetworkListener>(
      std::make_unique<LibeventListener>(std::move(listener).value()));
}

Result<std::unique_ptr<PendingConnect>> LibeventNetwork::Connect(const std::string& address,
                                                                 Duration timeout,
                                                                 ConnectCallback on_done) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (!ParseSocketAddress(address, &storage, &length) || PortOf(storage) == 0) {
    return Status::InvalidArgument("connect address '" + address + "': expected HOST:PORT");
  }
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int error = errno;
    return Status::ResourceExhausted("connect to " + address + ": socket: " + std::strerror(error));
  }
  // Owns the socket from here: every return below closes it unless the attempt lives on.
  auto attempt = std::make_unique<LibeventPendingConnect>(base_, fd, address, std::move(on_done));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 && errno != EINPROGRESS) {
    const int error = errno;
    return Status::Unavailable("connect to " + address + ": " + std::strerror(error));
  }
  // Also when connect() finished at once: the socket is writable, so on_done runs on the next
  // turn of the loop and never inside this call.
  LB_RETURN_IF_ERROR(attempt->Arm(timeout));
  return std::unique_ptr<PendingConnect>(std::move(attempt));
}

Result<std::unique_ptr<ServerTls>> LibeventNetwork::LoadServerTls(const TlsFiles& files) {
  auto context = ServerTlsContext::Load(files);
  if (!context.ok()) return context.status();
  return std::unique_ptr<ServerTls>(std::move(context).value());
}

Result<std::unique_ptr<ClientTls>> LibeventNetwork::LoadClientTls(const ClientTlsOptions& options) {
  auto context = ClientTlsContext::Load(options);
  if (!context.ok()) return context.status();
  return std::unique_ptr<ClientTls>(std::move(context).value());
}

Result<std::unique_ptr<ClusterTls>> LibeventNetwork::LoadClusterTls(const ClusterTlsFiles& files) {
  auto context = ClusterTlsContext::Load(files);
  if (!context.ok()) return context.status();
  return std::unique_ptr<ClusterTls>(std::move(context).value());
}

}  // namespace lifeboat::net
