#pragma once
// The RaftTransport between nodes on a real network (issue #13 item 1): TCP through the Env's
// Network (appliance/env/network.h), so a simulated network can stand in for it, with mutual TLS
// from the cluster CA (ClusterTls: both ends verify the other's certificate against it).
//
// Shape: every node listens on its cluster address and opens one outbound connection per peer;
// frames to a peer go out on our connection to it, frames from it arrive on its connection to us.
// A connection carries frames (raft_codec.h: 4-byte big-endian length, then the protobuf) one
// way only. A frame longer than kRaftFrameBytesMax closes the connection that announced it.
//
// Loss is allowed (raft_transport.h; libraft retransmits on the next heartbeat), so the transport
// never blocks and never buffers without bound:
// - no connection to the peer and none being made: Send answers Unavailable and starts a connect,
//   at most once per backoff interval (doubling from kTcpRaftReconnectBackoffMin to
//   kTcpRaftReconnectBackoffMax after each failure, reset by a finished handshake);
// - while connecting and handshaking, frames queue; bytes written but not yet taken by the network
//   count too; past kTcpRaftSendQueueBytesMax a new frame is refused (Unavailable) unless nothing
//   is queued (one frame, up to kRaftFrameBytesMax, always fits).
//
// Threading: loop thread only. Lifetime: the Env (and its Network) and the ClusterTls outlive the
// transport. Stop() closes every connection but keeps listening (a RaftNode restarted on the same
// transport calls Start again); frames arriving while stopped are dropped.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "appliance/env/env.h"
#include "appliance/env/network.h"
#include "eventlog/raft/raft_transport.h"

namespace lifeboat::eventlog::raft {

// Limits, units last (STYLE.md rule 8).
inline constexpr size_t kTcpRaftSendQueueBytesMax = 64u << 20;
inline constexpr size_t kTcpRaftInboundConnectionsMax = 64;
inline constexpr Duration kTcpRaftConnectTimeout = std::chrono::seconds(1);
// Below the election timeout (raft_node.h), so a peer back from a restart is reached in time.
inline constexpr Duration kTcpRaftReconnectBackoffMin = std::chrono::milliseconds(20);
inline constexpr Duration kTcpRaftReconnectBackoffMax = std::chrono::milliseconds(500);

struct TcpRaftTransportOptions {
  std::string listen_address;  // "HOST:PORT"; port 0 picks one (bound_address())
  // Mutual TLS from the cluster CA. Null: plaintext, for a simulated network that has no TLS;
  // a node's configuration always gives one (appliance/config).
  const ClusterTls* tls = nullptr;
};

struct TcpRaftTransportStats {
  uint64_t frames_sent = 0;      // handed to a connection
  uint64_t frames_refused = 0;   // Send answered Unavailable
  uint64_t frames_received = 0;  // handed to the receiver
  uint64_t connects_started = 0;
  uint64_t handshakes_done = 0;   // outbound connections ready (TLS verified, or plaintext)
  uint64_t inbound_rejected = 0;  // over kTcpRaftInboundConnectionsMax, or bad frames
};

class TcpRaftTransport : public RaftTransport {
 public:
  // Binds the listener. Errors: the address is malformed, in use, or the network has none.
  static Result<std::unique_ptr<TcpRaftTransport>> Listen(Env& env,
                                                          TcpRaftTransportOptions options);
  ~TcpRaftTransport() override;
  TcpRaftTransport(const TcpRaftTransport&) = delete;
  TcpRaftTransport& operator=(const TcpRaftTransport&) = delete;

  void Start(Receiver receiver) override;
  void Stop() override;
  Status Send(uint64_t to_id, std::string_view to_address, std::string frame) override;

  const std::string& bound_address() const { return listener_->bound_address(); }
  const TcpRaftTransportStats& stats() const { return stats_; }

 private:
  class Outbound;
  class Inbound;
  TcpRaftTransport(Env& env, TcpRaftTransportOptions options);
  void Accept(std::unique_ptr<ByteStream> stream);
  void Deliver(std::string frame);
  // Destroys a connection on a later turn of the loop (never inside its Handler call).
  void Retire(std::unique_ptr<Outbound> connection);
  void Retire(std::unique_ptr<Inbound> connection);
  void OutboundClosed(uint64_t peer_id);
  void InboundClosed(Inbound* connection);

  Env& env_;
  const TcpRaftTransportOptions options_;
  std::unique_ptr<NetworkListener> listener_;
  Receiver receiver_;
  std::map<uint64_t, std::unique_ptr<Outbound>> outbound_;  // by peer id
  std::map<Inbound*, std::unique_ptr<Inbound>> inbound_;
  // Per peer: no connect before this time (backoff), and the current backoff.
  struct Backoff {
    MonoTime not_before{};
    Duration interval = kTcpRaftReconnectBackoffMin;
  };
  std::map<uint64_t, Backoff> backoff_;
  TcpRaftTransportStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeboat::eventlog::raft
