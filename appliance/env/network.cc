// The default Env::network(): a network with nothing on it (network.h says when it is used).
#include "appliance/env/network.h"

namespace lifeboat {
namespace {

class DisconnectedNetwork : public Network {
 public:
  Result<std::unique_ptr<NetworkListener>> Listen(const std::string& address,
                                                  AcceptCallback) override {
    return Status::Unavailable("cannot listen on " + address + ": this Env has no network");
  }
  Result<std::unique_ptr<PendingConnect>> Connect(const std::string& address, Duration,
                                                  ConnectCallback) override {
    return Status::Unavailable("cannot connect to " + address + ": this Env has no network");
  }
  Result<std::unique_ptr<ServerTls>> LoadServerTls(const TlsFiles&) override {
    return Status::Unavailable("no TLS: this Env has no network");
  }
};

}  // namespace

Status ByteStream::StartClientTls(const ClientTls&, std::string_view) {
  return Status::Unavailable("this network has no client TLS");
}

Result<std::unique_ptr<ClientTls>> Network::LoadClientTls(const ClientTlsOptions&) {
  return Status::Unavailable("no client TLS: this network does not provide it");
}

Network& Env::network() {
  // Stateless, so one instance serves every Env that keeps the default.
  static DisconnectedNetwork disconnected;
  return disconnected;
}

}  // namespace lifeboat
