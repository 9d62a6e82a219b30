#pragma once
// The libevent implementation of ByteStream (appliance/env/network.h): one TCP connection on the
// libevent loop, plaintext first and optionally upgraded to TLS in place (STARTTLS, RFC 3207).
// The protocol logic lives in a sans-I/O core; this class only moves bytes between the socket and
// a Handler and reports what happened.
//
// Two ways to move bytes, chosen per connection and switched once:
// - Plaintext, on a loop whose backend has edge-triggered readiness (epoll): the socket itself,
//   one `event` registered once for the connection's life. recv() into a reusable buffer whose
//   views go straight to the Handler; replies queued while handling input go out in one send()
//   when the handling is done. Pausing costs no system call (an edge-triggered event needs no
//   re-arming); the kernel's receive buffer is the backpressure. See stream_connection_plain.cc.
// - TLS (after StartTls), or plaintext on a backend without edge triggering: a bufferevent, with
//   the OpenSSL filter once TLS starts. See stream_connection.cc.
//
// Ownership: a StreamConnection owns the socket (directly, or through its bufferevent). The
// Handler must outlive it. Everything, Write included, runs on the loop thread. After OnClosed the
// connection does nothing more and may be destroyed by its owner (never from inside a Handler
// callback: post the deletion).
//
// pending_output_bytes() counts what this connection holds for the socket: on the TLS path, the
// filter's plaintext not yet encrypted (ciphertext waiting under the filter is not counted), so a
// writer's limit bounds it only approximately there.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "appliance/env/network.h"
#include "appliance/env/status.h"

struct bufferevent;
struct ssl_st;
struct event_base;
struct event;
struct ssl_st;

namespace lifeboat::net {

class StreamConnection : public ByteStream {
 public:
  using Handler = ByteStream::Handler;

  // Takes ownership of `fd` (an accepted or connected socket). Nothing is delivered before
  // Start(); bytes that arrive meanwhile wait in the socket.
  static Result<std::unique_ptr<StreamConnection>> Adopt(event_base* base, int fd,
                                                         std::string peer);
  ~StreamConnection() override;
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // ByteStream (network.h states the contract; what follows is how it is met here).
  void Start(Handler* handler) override;
  // On the plain socket path, bytes queued while OnBytes runs leave together (one send) when it
  // returns; bytes queued at any other time leave before the loop polls again.
  void Write(std::string_view bytes) override;
  // No system call on the plain path; the bufferevent path disables and enables its read event.
  void PauseReading() override;
  void ResumeReading() override;
  size_t pending_output_bytes() const override;
  // `tls` must be a ServerTlsContext (tls_context.h). The plain path empties the socket of what
  // the peer sent behind STARTTLS (up to 64 KiB) before the handshake; the bufferevent path drops
  // what it has read, and bytes still in the socket reach the handshake, which then fails.
  Status StartTls(const ServerTls& tls) override;
  // `tls` must be a ClientTlsContext (tls_context.h). Same paths as StartTls, as the client.
  Status StartClientTls(const ClientTls& tls, std::string_view server_name) override;
  bool tls() const override { return tls_; }
  // `tls` must be a ClusterTlsContext (cluster_tls_context.h).
  Status StartClusterTls(const ClusterTls& tls, TlsRole role) override;
  // OnClosed follows at most 10 s later if the peer does not read.
  void CloseAfterFlush() override;
  const std::string& peer_address() const override { return peer_; }
  std::string local_address() const override;

 private:
  explicit StreamConnection(std::string peer) : peer_(std::move(peer)) {}

  // The bufferevent path (stream_connection.cc).
  static void OnRead(bufferevent* bev, void* arg);
  static void OnWrite(bufferevent* bev, void* arg);
  static void OnEvent(bufferevent* bev, short what, void* arg);
  static void OnFlushCheck(int fd, short what, void* arg);
  // Bytes not yet handed to the kernel, through the TLS filter and the socket underneath.
  size_t UnsentBytes() const;
  void FinishWhenFlushed();
  // Bounds how long a closing connection waits for the peer to read (plain socket, plaintext
  // bufferevent). The TLS filter polls with the same timer instead.
  void ArmCloseDeadline();
  // How a connection ended: in order (our close once the last reply left, or the peer's clean
  // close) or not (errors, timeouts, a peer that never read). Only an orderly end of a TLS session
  // sends close_notify and leaves the session resumable.
  enum class Ending { kOrderly, kAbrupt };
  void Finish(std::string_view reason, Ending ending = Ending::kAbrupt);
  void InstallCallbacks();
  // Puts the OpenSSL filter over the connection (taking `ssl`, freed on error) and starts the
  // handshake as the accepting or the connecting end.
  Status StartTlsFilter(ssl_st* ssl, bool accepting, bool discard_plaintext);
  // The socket under whichever path is active; -1 once closed.
  int SocketFd() const;

  // The plain socket path (stream_connection_plain.cc). Active while bev_ is null.
  bool plain() const { return bev_ == nullptr; }
  Status AdoptPlain(int fd);
  static void OnPlainIo(int fd, short what, void* arg);
  static void OnPlainDeferred(int fd, short what, void* arg);
  // Reads what the socket holds (unless paused or closing), then sends what is queued.
  void ServicePlain();
  void ReadPlain();
  void FlushPlain();
  void ScheduleServicePlain();
  void WritePlain(std::string_view bytes);
  void ResumePlain();
  void CloseAfterFlushPlain();
  size_t UnsentPlainBytes() const { return output_.size() - output_sent_; }
  // Drops unread plaintext (if `discard_unread`: STARTTLS), hands the socket and the unsent bytes
  // to a new bufferevent (bev_).
  Status MovePlainToBufferevent(bool discard_unread);
  // Unregisters the plain path's events; the socket stays open.
  void StopPlain();

  event_base* base_ = nullptr;
  bufferevent* bev_ = nullptr;
  event* flush_check_ = nullptr;  // bounds (and, under TLS, polls) the flush before a close
  std::string peer_;
  Handler* handler_ = nullptr;  // set by Start()
  bool tls_ = false;
  bool handshaking_ = false;
  bool closing_ = false;
  bool finished_ = false;
  int flush_checks_ = 0;

  // Plain socket state. The readiness flags follow the edges (EV_ET): readable_ stays set until a
  // read comes back short or would block, writable_ until a send would block.
  int fd_ = -1;
  event* io_event_ = nullptr;        // EV_READ | EV_WRITE | EV_CLOSED, edge-triggered, persistent
  event* deferred_event_ = nullptr;  // runs ServicePlain() after the current callback
  std::string output_;
  size_t output_sent_ = 0;  // prefix of output_ already sent
  bool readable_ = false;
  bool writable_ = true;
  bool peer_shut_down_ = false;  // EV_CLOSED seen: read on to the end of stream
  bool paused_ = false;
  bool servicing_ = false;       // inside ServicePlain(): writes wait for its end
  bool output_drained_ = false;  // a flush emptied the queue: OnOutputDrained is due
};

}  // namespace lifeboat::net
