#pragma once
// One accepted TCP connection on the libevent loop, plaintext first and optionally upgraded to
// TLS in place (STARTTLS, RFC 3207). The protocol logic lives in a sans-I/O core; this class only
// moves bytes between the socket and a Handler and reports what happened.
//
// Ownership: a StreamConnection owns its bufferevent (and so the socket). The Handler must outlive
// it. Callbacks run on the loop thread. After OnClosed the connection does nothing more and may
// be destroyed by its owner (never from inside a Handler callback: post the deletion).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "appliance/env/status.h"

struct bufferevent;
struct event_base;
struct event;
typedef struct ssl_ctx_st SSL_CTX;

namespace lifeboat::net {

struct TlsSessionFacts {
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_256_GCM_SHA384"
};

class StreamConnection {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // Bytes received, in order. The view is valid only during the call.
    virtual void OnBytes(std::string_view bytes) = 0;
    virtual void OnTlsEstablished(const TlsSessionFacts& facts) = 0;
    // The peer closed, the TLS handshake failed, a socket error, or Close() completed.
    virtual void OnClosed(std::string_view reason) = 0;
  };

  // Takes ownership of `fd` (an accepted, connected socket).
  static Result<std::unique_ptr<StreamConnection>> Adopt(event_base* base, int fd, std::string peer,
                                                         Handler* handler);
  ~StreamConnection();
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // Queues bytes for sending (through TLS once established).
  void Write(std::string_view bytes);
  // Starts the server side of a TLS handshake over this socket. Plaintext the peer already sent
  // behind the STARTTLS command is discarded here, never read (CVE-2011-0411 class). `ctx` gets
  // its own reference; the caller keeps its own.
  Status StartTls(SSL_CTX* ctx);
  // Stops reading (backpressure while a mail is being made durable) and resumes.
  void PauseReading();
  void ResumeReading();
  // Flushes what is queued, then closes. OnClosed follows.
  void CloseAfterFlush();
  // Bytes queued but not yet written to the socket.
  size_t pending_output_bytes() const;

  const std::string& peer() const { return peer_; }
  bool tls() const { return tls_; }

 private:
  StreamConnection(std::string peer, Handler* handler)
      : peer_(std::move(peer)), handler_(handler) {}
  static void OnRead(bufferevent* bev, void* arg);
  static void OnWrite(bufferevent* bev, void* arg);
  static void OnEvent(bufferevent* bev, short what, void* arg);
  static void OnFlushCheck(int fd, short what, void* arg);
  // Bytes not yet handed to the kernel, through the TLS filter and the socket underneath.
  size_t UnsentBytes() const;
  void FinishWhenFlushed();
  void Finish(std::string_view reason);
  void InstallCallbacks();

  event_base* base_ = nullptr;
  bufferevent* bev_ = nullptr;
  event* flush_check_ = nullptr;  // polls the socket under a TLS filter while closing
  std::string peer_;
  Handler* handler_;
  bool tls_ = false;
  bool handshaking_ = false;
  bool closing_ = false;
  bool finished_ = false;
  int flush_checks_ = 0;
};

}  // namespace lifeboat::net
