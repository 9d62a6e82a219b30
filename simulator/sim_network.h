#pragma once
// The simulated network (issue #14): lifeboat::Network (appliance/env/network.h) in memory, on the
// world's clock and seed. Every node's Env reaches it through node(host) (SimEnv::set_network).
//
// Model, stated so that nobody reads more into a passing simulation:
//  * A connection is a pair of endpoints; each Write is one segment that arrives after the link's
//    delay (seeded, uniform in [delay_min, delay_max]) and never before the segment sent before it
//    (TCP delivers in order). Loss on a TCP stream is not a lost byte but a late one: a lost
//    segment arrives one retransmission timeout later (kRetransmitAfter). Duplication does not
//    exist for TCP streams; resets do (ResetLinks, and the per-link reset chance per segment).
//  * A partition (Partition) or a clogged node (Clog) holds every segment on its links where it
//    is (the peers' retransmissions) until Heal/Unclog; a connect across it gets no answer and
//    fails at its timeout. Nothing listening on the address: refused after one round trip.
//  * Flow control: pending_output_bytes() is what was written and has not reached the peer yet;
//    a peer that pauses reading does not hold the writer back (no window).
//  * TLS is a stand-in: StartTls succeeds after the queued bytes and one round trip, reports
//    kTlsVersion/kTlsCipher, and discards plaintext that arrived in between (RFC 3207 section 4).
//    LoadServerTls reads no file. Bytes are not encrypted: both ends are our own code.
// Hosts are numeric IPv4 text ("10.0.0.1"); ports of Listen(":0") and of clients count up.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "appliance/env/network.h"
#include "simulator/world.h"

namespace lifeboat::simulator {

class SimNetwork {
 public:
  static constexpr Duration kDelayMinDefault = std::chrono::microseconds(100);
  static constexpr Duration kDelayMaxDefault = std::chrono::milliseconds(2);
  static constexpr Duration kRetransmitAfter = std::chrono::milliseconds(200);
  static constexpr Duration kTlsHandshakeExtra = std::chrono::milliseconds(1);
  static constexpr const char* kTlsVersion = "TLSv1.3";
  static constexpr const char* kTlsCipher = "TLS_SIMULATED_WITH_NO_CIPHER";

  struct LinkFaults {
    Duration delay_min = kDelayMinDefault;
    Duration delay_max = kDelayMaxDefault;
    uint32_t loss_per_mille = 0;   // a segment late by kRetransmitAfter
    uint32_t reset_per_mille = 0;  // a segment resets the connection instead
    bool partitioned = false;
  };

  struct Stats {
    uint64_t connects = 0;
    uint64_t refused = 0;
    uint64_t timed_out = 0;
    uint64_t segments = 0;
    uint64_t retransmitted = 0;
    uint64_t resets = 0;
  };

  explicit SimNetwork(World& world);
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // The Network a node on `host` sees (made on first use, owned here).
  Network& node(const std::string& host);

  // Faults between two hosts (either order). Heal lifts a partition and lets held segments go.
  LinkFaults& link(const std::string& a, const std::string& b);
  void Partition(const std::string& a, const std::string& b);
  void Heal(const std::string& a, const std::string& b);
  // Every link of `host` holds its segments (a saturated uplink) until Unclog.
  void Clog(const std::string& host);
  void Unclog(const std::string& host);
  // Resets every open connection between `a` and `b` (both ends see OnClosed).
  void ResetLinks(const std::string& a, const std::string& b);
  // Closes every connection of `host` at once without telling it (its process died); the peers
  // see a reset. Its listeners stay until their owners destroy them.
  void Disconnect(const std::string& host);

  const Stats& stats() const { return stats_; }

  // Internals shared with the implementation file.
  struct Endpoint;
  class NodeNetwork;
  class Listener;
  bool Blocked(const std::string& a, const std::string& b) const;
  Duration SegmentDelay(const std::string& a, const std::string& b, bool* reset);
  void Register(std::shared_ptr<Endpoint> endpoint);
  void HoldUntilHealed(std::shared_ptr<Endpoint> endpoint) { held_.push_back(endpoint); }
  World& world() { return world_; }
  Stats& mutable_stats() { return stats_; }
  std::map<std::string, Listener*>& listeners() { return listeners_; }
  uint16_t NextPort() { return next_port_++; }

 private:
  using HostPair = std::pair<std::string, std::string>;
  static HostPair Key(const std::string& a, const std::string& b);
  void ReleaseHeld();

  World& world_;
  std::map<std::string, std::unique_ptr<NodeNetwork>> nodes_;
  std::map<HostPair, LinkFaults> links_;
  std::set<std::string> clogged_;
  std::map<std::string, Listener*> listeners_;  // "host:port" -> listener
  std::vector<std::weak_ptr<Endpoint>> endpoints_;
  std::vector<std::weak_ptr<Endpoint>> held_;
  uint16_t next_port_ = 20000;
  Stats stats_;
};

}  // namespace lifeboat::simulator
