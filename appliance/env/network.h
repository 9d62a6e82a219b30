#pragma once
// The network of a node, as the Env provides it (DESIGN.md "Determinism": sockets reach the cores
// and drivers through the Env; STYLE.md rule 2). Listen on an address and get byte streams, connect
// to an address and get one, move bytes with flow control, and upgrade a stream to TLS in place
// (STARTTLS, RFC 3207), as the server or as the client. Envoy's envoy/network/connection.h and
// listener.h are the model, cut down to what the drivers here use.
//
// Implementations: appliance/net/libevent_network.h (TCP on the libevent loop, OpenSSL), reached
// through LibeventEnv::network(); the simulator's in-memory network later (issue #14). Nothing
// here names a libevent, OpenSSL or socket type, so a simulated network implements it in memory.
//
// Why reached through Env::network() and not passed beside the Env: one world interface per node
// (STYLE.md rule 2). A component that already takes Env& (the SMTP server needs the clock, timers
// and randomness too) gets the network from the same object, and a simulated node is one Env whose
// clock and network belong to the same simulated world, so a test cannot pair a virtual clock with
// a real socket by mistake. An Env without a network (a test's fixed clock, ManualEnv until the
// simulated network exists) inherits the default network(): every Listen, Connect and
// LoadServerTls fails with kUnavailable, an operating error the caller already handles.
//
// In scope: every connection a node's protocol drivers make or accept (SMTP today; Raft and
// outbound delivery when they come). Out of scope, each for a stated reason: the admin HTTP API
// (evhttp on LibeventEnv::base(): the operator's interface, not part of what a simulated cluster
// exchanges), the CLI's admin client (appliance/admin/admin_client.cc: the `lifeboat` command's own
// process, never a node), and LDAP (libldap opens its sockets inside the library, on the directory
// sync's thread). tests/tidy/determinism_check.sh bans socket calls everywhere else.
//
// Addresses are text: "HOST:PORT" or "[V6]:PORT" with a numeric host (no name lookup: resolving
// a name blocks, and a simulated network has no DNS). Port 0 in Listen picks a free port.
//
// Threading: loop thread only, every method of every class here. Callbacks and Handler methods
// run on the loop thread, never inside the call that registered them (Listen, Connect, Start)
// except where stated.
//
// Ownership: the Network outlives everything it creates (the Env owns it). A NetworkListener, a
// PendingConnect and a ByteStream are owned by whoever holds the unique_ptr; destroying one stops
// it at once (the socket closes without a flush) and no callback runs after. A ServerTls is owned
// by its caller; a session keeps what it needs, so the ServerTls may go once StartTls returned.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "appliance/env/env.h"
#include "appliance/env/status.h"

namespace lifeboat {

struct TlsFiles {
  std::string certificate_chain_path;  // PEM: leaf first, then intermediates
  std::string private_key_path;        // PEM, readable by the service user only
};

// What a finished TLS handshake agreed on (recorded in MailReceived, RFC 3207 section 4.4).
struct TlsSessionFacts {
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_256_GCM_SHA384"
};

// How a client verifies the server it relays to (issue #11 Build 3: "STARTTLS to the primary with
// its certificate verified against a configured CA; opportunistic STARTTLS for internet MX").
struct ClientTlsOptions {
  // True: the handshake fails unless the server's chain verifies against the CA and its
  // certificate names the host (RFC 6125 6.4: DNS-ID, or an iPAddress SAN for a numeric host).
  // False: opportunistic (RFC 3207 4.1, RFC 7435): encrypt, accept any certificate.
  bool verify_peer = true;
  // PEM file of the trusted CA certificates; "" for the system's default store.
  std::string ca_file_path;
};

// A client's TLS policy and trust store, made by the Network that will run the sessions.
class ClientTls {
 public:
  virtual ~ClientTls() = default;
};

// Mutual TLS between the nodes of one cluster (DESIGN.md "Security model": the replication
// listener, mutual TLS from a cluster CA). Each node holds its own certificate and key, signed by
// the cluster's own CA, and the CA's certificate. Both ends present their certificate and verify
// the other's against that CA alone: a certificate signed by anyone else, or none, ends the
// handshake. The CA exists only for the cluster, so being signed by it is what membership means.
struct ClusterTlsFiles {
  TlsFiles own;
  std::string ca_certificate_path;  // PEM: the cluster CA's certificate
};

// Both sides' TLS configuration for the cluster, made by the Network that will run the sessions.
class ClusterTls {
 public:
  virtual ~ClusterTls() = default;
};

// Which end of a cluster connection a stream is: the one that accepted it or the one that made it.
enum class TlsRole { kAccepting, kConnecting };

// The server's certificate, key and TLS policy, made by the Network that will run the sessions
// (each implementation keeps its own kind: OpenSSL contexts, or the simulator's stand-in).
class ServerTls {
 public:
  virtual ~ServerTls() = default;
  // Re-reads the files (SIGHUP). On error the previous certificate keeps serving and the error is
  // returned; sessions already started keep the certificate they started with.
  virtual Status Reload() = 0;
};

// One connected byte stream (a TCP connection, or its simulation), plaintext first and optionally
// upgraded in place to TLS on the server side.
class ByteStream {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // Bytes received, in order. The view is valid only during the call. Never called after
    // OnClosed, nor while reading is paused.
    virtual void OnBytes(std::string_view bytes) = 0;
    // The TLS handshake StartTls began has finished; what follows is protected.
    virtual void OnTlsEstablished(const TlsSessionFacts& facts) = 0;
    // The output queue is empty (everything written was handed to the network). A cue for a
    // writer that stopped producing above its own limit (see pending_output_bytes()); it may come
    // when nothing was pending, so re-check rather than count.
    virtual void OnOutputDrained() {}
    // The peer closed, the TLS handshake failed, a socket error, or CloseAfterFlush completed.
    // Called once; nothing else is called afterwards. The owner may destroy the stream later,
    // never from inside a Handler call (post the deletion through Env::Post).
    virtual void OnClosed(std::string_view reason) = 0;
  };

  virtual ~ByteStream() = default;

  // Attaches `handler` (which must outlive the stream) and begins delivering. Call once, before
  // any other method. Bytes the peer sent earlier are delivered, not lost.
  virtual void Start(Handler* handler) = 0;

  // Queues bytes for sending (through TLS once established). Bytes queued while a Handler call
  // runs may leave together when it returns. Ignored after OnClosed.
  virtual void Write(std::string_view bytes) = 0;

  // Flow control, input side: stops delivering OnBytes (the peer is held back by the transport's
  // own window) and resumes. Bytes that arrived meanwhile are delivered from or right after
  // ResumeReading, without waiting for the peer to send more. Cheap: call on every state change.
  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;

  // Flow control, output side: bytes queued but not yet taken by the network. The stream queues
  // without bound; a writer whose peer may stop reading (SMTP pipelining, RFC 2920 section 3.1)
  // checks this after writing, stops producing above its own named limit and resumes on
  // Handler::OnOutputDrained.
  virtual size_t pending_output_bytes() const = 0;

  // Server side of STARTTLS (RFC 3207): the handshake starts after the bytes already queued (the
  // 220 reply) leave in plaintext. Plaintext the peer sent behind the command is discarded, never
  // delivered (section 4: knowledge obtained before TLS is discarded; CVE-2011-0411).
  // OnTlsEstablished or OnClosed follows. `tls` must come from the same Network. Errors (out of
  // memory, already closed) leave the stream as it was; the caller closes it.
  virtual Status StartTls(const ServerTls& tls) = 0;
  // Client side of STARTTLS (RFC 3207 4): call once the server's 220 to STARTTLS has been read.
  // Plaintext still unread is discarded (a server sends nothing before the ClientHello; bytes
  // that arrive anyway were injected). `server_name` is the host the certificate must name when
  // `tls` verifies, and is sent as SNI (RFC 6066 3) unless numeric. OnTlsEstablished or
  // OnClosed ("TLS handshake failed: ... certificate verify failed") follows. `tls` must come
  // from the same Network. Default: Unavailable (a network without client TLS).
  virtual Status StartClientTls(const ClientTls& tls, std::string_view server_name);
  virtual bool tls() const = 0;

  // TLS from the first byte between two cluster nodes (ClusterTls above): nothing is ever
  // exchanged in plaintext. Call right after Start, before any Write. OnTlsEstablished follows
  // once the peer's certificate verified against the cluster CA, or OnClosed. The default (a
  // network without cluster TLS) refuses with kUnavailable.
  virtual Status StartClusterTls(const ClusterTls& /*tls*/, TlsRole /*role*/) {
    return Status::Unavailable("this network has no cluster TLS");
  }

  // Sends what is queued, then closes. OnClosed follows, at most a bounded time later (the
  // implementation's close deadline) if the peer does not read.
  virtual void CloseAfterFlush() = 0;

  // "1.2.3.4:25" / "[::1]:25". The peer's is fixed at accept or connect; the local one is looked
  // up on demand and is "" once the stream is closed.
  virtual const std::string& peer_address() const = 0;
  virtual std::string local_address() const = 0;
};

// A listening address. Accepted streams are handed over not yet started (ByteStream::Start).
class NetworkListener {
 public:
  virtual ~NetworkListener() = default;
  // The address actually bound (the port chosen when asked for port 0).
  virtual const std::string& bound_address() const = 0;
  // Stops and resumes accepting; connections waiting in the backlog stay there meanwhile.
  virtual void Pause() = 0;
  virtual void Resume() = 0;
};

// A connection being made. Destroying it cancels the attempt (no callback follows).
class PendingConnect {
 public:
  virtual ~PendingConnect() = default;
};

class Network {
 public:
  using AcceptCallback = std::function<void(std::unique_ptr<ByteStream> stream)>;
  using ConnectCallback = std::function<void(Result<std::unique_ptr<ByteStream>> stream)>;

  virtual ~Network() = default;

  // Listens on `address` until the listener is destroyed. `on_accept` gets each new connection;
  // connections the implementation could not set up (out of memory) are closed and not reported.
  // Errors: a malformed address (kInvalidArgument), an address in use or not ours (kIoError).
  virtual Result<std::unique_ptr<NetworkListener>> Listen(const std::string& address,
                                                          AcceptCallback on_accept) = 0;

  // Connects to `address`. Errors known at once are returned: a malformed address
  // (kInvalidArgument), no route or no network (kUnavailable). Otherwise `on_done` runs once,
  // later, with the stream (not yet started) or the error: refused, unreachable, or no answer
  // within `timeout` (kUnavailable). The PendingConnect may be destroyed from inside on_done.
  virtual Result<std::unique_ptr<PendingConnect>> Connect(const std::string& address,
                                                          Duration timeout,
                                                          ConnectCallback on_done) = 0;

  // Loads a certificate and key for StartTls under this network's TLS policy. Errors name the
  // file that failed and why.
  virtual Result<std::unique_ptr<ServerTls>> LoadServerTls(const TlsFiles& files) = 0;

  // Builds a client TLS policy (TLS 1.2 and up, the same suites as the server's) with its trust
  // store. Errors name the CA file that failed and why. Default: Unavailable.
  virtual Result<std::unique_ptr<ClientTls>> LoadClientTls(const ClientTlsOptions& options);
  // Loads a node's cluster certificate, key and the cluster CA for StartClusterTls. Errors name
  // the file that failed and why. The default: kUnavailable (no cluster TLS on this network).
  virtual Result<std::unique_ptr<ClusterTls>> LoadClusterTls(const ClusterTlsFiles& /*files*/) {
    return Status::Unavailable("this network has no cluster TLS");
  }
};

}  // namespace lifeboat
