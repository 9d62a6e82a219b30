#pragma once
// How a Raft node reaches the others: frames (raft_codec.h: a length-prefixed protobuf
// raftwire.Frame) to a node id at an address, and frames from anyone. Production will be TCP
// with mutual TLS on the node's libevent loop; tests use memory_raft_transport.h; the simulator
// brings its own seeded network. Delivery is best effort, like libraft expects of any network:
// frames may be lost, delayed or reordered, never corrupted (a frame that fails to decode is
// dropped by the receiver).
//
// Threading: loop thread only; the receiver runs on the loop thread, never from inside Send.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "appliance/env/status.h"

namespace lifeboat::eventlog::raft {

class RaftTransport {
 public:
  using Receiver = std::function<void(std::string frame)>;

  virtual ~RaftTransport() = default;

  // Starts handing frames addressed to this node to `receiver`, until Stop().
  virtual void Start(Receiver receiver) = 0;
  // No receiver call after this returns. Idempotent.
  virtual void Stop() = 0;
  // Queues `frame` for node `to_id` at `to_address`. Ok means queued, not delivered;
  // Unavailable when there is no connection to that node now (libraft: RAFT_NOCONNECTION).
  virtual Status Send(uint64_t to_id, std::string_view to_address, std::string frame) = 0;
  // Whether a Send to `to_id` could be queued now. RaftIo asks before encoding a frame: libraft
  // retries a peer it cannot reach at every heartbeat with every entry the peer lacks, and
  // encoding those for a peer known unreachable is wasted work. A transport that cannot tell
  // keeps the default (Send then answers).
  virtual bool Reachable(uint64_t /*to_id*/) const { return true; }
};

}  // namespace lifeboat::eventlog::raft
