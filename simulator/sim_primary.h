#pragma once
// The company's primary mail system (Exchange, or Postfix in front of Dovecot) as the simulator
// sees it (issue #14 item 2): an SMTP server on the SimNetwork that answers the routing probes
// (banner, EHLO, QUIT: appliance/routing_probe.h) and accepts whatever mail it is sent.
//
// Faults: Stop() is the CrowdStrike morning (the host is gone: every connection resets, a new
// connect is refused), Start() its return. A flapping primary is the simulation calling both in
// turn. What it does not model yet: a primary that answers SMTP but does not deliver (the
// end-to-end probe's case), TLS, and relaying (delivery is not in the simulation).
//
// Loop-thread model like every actor: all of it runs on the world's queue, through its own SimEnv.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "appliance/env/network.h"
#include "simulator/sim_network.h"
#include "simulator/world.h"

namespace lifeboat::simulator {

class SimPrimary {
 public:
  // A command line longer than this ends the session (RFC 5321 section 4.5.3.1.4: 512 octets).
  static constexpr size_t kCommandLineBytesMax = 512;

  SimPrimary(World& world, SimNetwork& network, std::string host, uint16_t port);
  ~SimPrimary();
  SimPrimary(const SimPrimary&) = delete;
  SimPrimary& operator=(const SimPrimary&) = delete;

  // Listens; no-op when up.
  void Start();
  // The host dies: the listener goes, every session is reset. No-op when down.
  void Stop();
  bool up() const { return listener_ != nullptr; }

  std::string address() const { return host_ + ":" + std::to_string(port_); }
  const std::string& host() const { return host_; }
  uint64_t sessions() const { return sessions_; }
  uint64_t mails() const { return mails_; }

 private:
  class Session;

  void OnAccept(std::unique_ptr<ByteStream> stream);

  World& world_;
  SimNetwork& network_;
  SimEnv env_;
  const std::string host_;
  const uint16_t port_;
  std::unique_ptr<NetworkListener> listener_;
  std::vector<std::unique_ptr<Session>> sessions_open_;
  uint64_t sessions_ = 0;
  uint64_t mails_ = 0;
};

}  // namespace lifeboat::simulator
