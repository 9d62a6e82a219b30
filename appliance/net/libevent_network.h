#pragma once
// The production Network (appliance/env/network.h): TCP sockets on the libevent loop, OpenSSL for
// TLS. Listen wraps TcpListener, streams are StreamConnections, ServerTls is ServerTlsContext.
// LibeventEnv owns one and hands it out as Env::network(); drivers never see this type.
//
// Connect is a non-blocking connect() watched by one event with the timeout; the connected socket
// becomes a StreamConnection. No name lookup: the address is numeric (network.h).
//
// Ownership: `base` must outlive the network, and the network everything it made. Loop thread
// only.

#include <memory>
#include <string>

#include "appliance/env/network.h"

struct event_base;

namespace lifeboat::net {

class LibeventNetwork : public Network {
 public:
  explicit LibeventNetwork(event_base* base) : base_(base) {}

  Result<std::unique_ptr<NetworkListener>> Listen(const std::string& address,
                                                  AcceptCallback on_accept) override;
  Result<std::unique_ptr<PendingConnect>> Connect(const std::string& address, Duration timeout,
                                                  ConnectCallback on_done) override;
  Result<std::unique_ptr<ServerTls>> LoadServerTls(const TlsFiles& files) override;
  Result<std::unique_ptr<ClientTls>> LoadClientTls(const ClientTlsOptions& options) override;
  // A ClusterTlsContext (cluster_tls_context.h).
  Result<std::unique_ptr<ClusterTls>> LoadClusterTls(const ClusterTlsFiles& files) override;

 private:
  event_base* base_;
};

}  // namespace lifeboat::net
