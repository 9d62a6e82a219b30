// StreamConnection: the public operations, and the bufferevent path (TLS, and plaintext on loops
// without edge-triggered readiness). The plain socket path is in stream_connection_plain.cc.
#include "appliance/net/stream_connection.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include "appliance/net/cluster_tls_context.h"
#include "appliance/net/tcp_listener.h"
#include "appliance/net/tls_context.h"

namespace lifeboat::net {
namespace {

// How often a closing TLS connection checks whether the socket under the filter has drained
// (the filter reports its own buffer empty as soon as it has encrypted everything).
constexpr timeval kFlushCheckInterval = {0, 5000};
// A peer that stops reading cannot hold a closing connection open for ever.
constexpr int kCloseFlushWaitSecondsMax = 10;
constexpr int kFlushChecksMax = kCloseFlushWaitSecondsMax * 1'000'000 / 5000;
constexpr timeval kCloseFlushWaitMax = {kCloseFlushWaitSecondsMax, 0};

}  // namespace

Result<std::unique_ptr<StreamConnection>> StreamConnection::Adopt(event_base* base, int fd,
                                                                  std::string peer) {
  LB_CHECK(base != nullptr && fd >= 0);
  std::unique_ptr<StreamConnection> connection(new StreamConnection(std::move(peer)));
  connection->base_ = base;
  evutil_make_socket_nonblocking(fd);
  // The plain path needs edges (a paused connection must not wake the loop) and EV_CLOSED (a
  // short read ends the edge, so the end of stream must be flagged apart).
  constexpr int kPlainFeatures = EV_FEATURE_ET | EV_FEATURE_EARLY_CLOSE;
  if ((event_base_get_features(base) & kPlainFeatures) == kPlainFeatures) {
    LB_RETURN_IF_ERROR(connection->AdoptPlain(fd));
    return connection;
  }
  connection->bev_ = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
  if (connection->bev_ == nullptr) {
    ::close(fd);
    return Status::ResourceExhausted("bufferevent_socket_new failed for " + connection->peer_);
  }
  return connection;
}

void StreamConnection::Start(Handler* handler) {
  LB_CHECK(handler != nullptr && handler_ == nullptr);
  handler_ = handler;
  if (plain()) {
    // Readiness that arrived before the Handler did was recorded, not acted on.
    if (readable_) ScheduleServicePlain();
    return;
  }
  InstallCallbacks();
}

int StreamConnection::SocketFd() const {
  if (finished_) return -1;
  if (plain()) return fd_;
  bufferevent* under = bufferevent_get_underlying(bev_);
  return bufferevent_getfd(under != nullptr ? under : bev_);
}

std::string StreamConnection::local_address() const {
  int fd = SocketFd();
  if (fd < 0) return "";
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return "";
  return FormatSocketAddress(reinterpret_cast<sockaddr*>(&local));
}

StreamConnection::~StreamConnection() {
  if (flush_check_ != nullptr) event_free(flush_check_);
  if (io_event_ != nullptr) event_free(io_event_);
  if (deferred_event_ != nullptr) event_free(deferred_event_);
  if (fd_ >= 0) ::close(fd_);
  if (bev_ != nullptr) bufferevent_free(bev_);
}

size_t StreamConnection::UnsentBytes() const {
  if (bev_ == nullptr) return 0;
  size_t bytes = evbuffer_get_length(bufferevent_get_output(bev_));
  if (bufferevent* under = bufferevent_get_underlying(bev_)) {
    bytes += evbuffer_get_length(bufferevent_get_output(under));
  }
  return bytes;
}

void StreamConnection::FinishWhenFlushed() {
  if (finished_) return;
  if (UnsentBytes() == 0) {
    Finish("closed by server", Ending::kOrderly);
    return;
  }
  if (bufferevent_get_underlying(bev_) == nullptr) {
    ArmCloseDeadline();  // OnWrite fires when it drains; the timer only bounds the wait
    return;
  }
  if (flush_check_ == nullptr) {
    flush_check_ = evtimer_new(base_, &StreamConnection::OnFlushCheck, this);
  }
  evtimer_add(flush_check_, &kFlushCheckInterval);
}

void StreamConnection::ArmCloseDeadline() {
  if (flush_check_ != nullptr) return;  // armed once, for the whole wait
  flush_check_ = evtimer_new(base_, &StreamConnection::OnFlushCheck, this);
  LB_CHECK(flush_check_ != nullptr);
  evtimer_add(flush_check_, &kCloseFlushWaitMax);
}

void StreamConnection::OnFlushCheck(int, short, void* arg) {
  auto* self = static_cast<StreamConnection*>(arg);
  if (self->finished_) return;
  // Without a TLS filter the timer is armed once, for the whole wait.
  const bool polling = self->bev_ != nullptr && bufferevent_get_underlying(self->bev_) != nullptr;
  if (!polling || ++self->flush_checks_ > kFlushChecksMax) {
    self->Finish("closed by server (peer did not read the last reply)");
    return;
  }
  self->FinishWhenFlushed();
}

void StreamConnection::InstallCallbacks() {
  bufferevent_setcb(bev_, &StreamConnection::OnRead, &StreamConnection::OnWrite,
                    &StreamConnection::OnEvent, this);
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
}

void StreamConnection::Write(std::string_view bytes) {
  if (finished_) return;
  if (plain()) {
    WritePlain(bytes);
    return;
  }
  bufferevent_write(bev_, bytes.data(), bytes.size());
}

Status StreamConnection::StartTls(const ServerTls& tls) {
  LB_CHECK(!tls_ && !handshaking_);
  // Only this network's contexts reach here (network.h: `tls` comes from the same Network).
  const auto* context = dynamic_cast<const ServerTlsContext*>(&tls);
  LB_CHECK(context != nullptr);
  if (finished_) return Status::Unavailable("connection already closed");
  // SSL_new takes its own reference to the context; ours goes right after.
  SSL_CTX* ctx = context->Acquire();
  SSL* ssl = SSL_new(ctx);
  SSL_CTX_free(ctx);
  if (ssl == nullptr) return Status::ResourceExhausted("SSL_new failed");
  return StartTlsFilter(ssl, /*accepting=*/true, /*discard_plaintext=*/true);
}

Status StreamConnection::StartClientTls(const ClientTls& tls, std::string_view server_name) {
  LB_CHECK(!tls_ && !handshaking_);
  const auto* context = dynamic_cast<const ClientTlsContext*>(&tls);
  LB_CHECK(context != nullptr);
  if (finished_) return Status::Unavailable("connection already closed");
  SSL* ssl = SSL_new(context->context());
  if (ssl == nullptr) return Status::ResourceExhausted("SSL_new failed");
  const std::string name(server_name);
  in6_addr numeric;
  const bool is_ip = inet_pton(AF_INET, name.c_str(), &numeric) == 1 ||
                     inet_pton(AF_INET6, name.c_str(), &numeric) == 1;
  bool named = true;
  if (context->verify_peer()) {
    // RFC 6125 6.4: the reference identity is the host we meant to reach. OpenSSL checks it in
    // the handshake: a DNS-ID (SAN dNSName, wildcards in the left label only) or, for a
    // numeric host, an iPAddress SAN.
    named = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1
                  : SSL_set1_host(ssl, name.c_str()) == 1;
  }
  // SNI carries host names only (RFC 6066 3: "Literal IPv4 and IPv6 addresses are not
  // permitted").
  if (named && !is_ip && !name.empty()) named = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;
  if (!named) {
    SSL_free(ssl);
    return Status::InvalidArgument("TLS server name '" + name + "' refused");
  }
  return StartTlsFilter(ssl, /*accepting=*/false, /*discard_plaintext=*/true);
}

Status StreamConnection::StartClusterTls(const ClusterTls& tls, TlsRole role) {
  LB_CHECK(!tls_ && !handshaking_);
  const auto* context = dynamic_cast<const ClusterTlsContext*>(&tls);
  LB_CHECK(context != nullptr);
  if (finished_) return Status::Unavailable("connection already closed");
  SSL* ssl = SSL_new(context->context(role));
  if (ssl == nullptr) return Status::ResourceExhausted("SSL_new failed");
  // TLS from the first byte: what the socket holds is the peer's handshake, never discarded.
  return StartTlsFilter(ssl, role == TlsRole::kAccepting, /*discard_plaintext=*/false);
}

Status StreamConnection::StartTlsFilter(SSL* ssl, bool accepting, bool discard_plaintext) {
  if (plain()) {
    // Queues our unsent plaintext (the 220) in a bufferevent; after STARTTLS, also drops what
    // the socket holds.
    Status moved = MovePlainToBufferevent(discard_plaintext);
    if (!moved.ok()) {
      SSL_free(ssl);
      return moved;
    }
  } else if (discard_plaintext) {
    // Whatever the peer sent after STARTTLS in plaintext is dropped unread (RFC 3207 section 4:
    // the server MUST discard knowledge obtained before TLS; CVE-2011-0411). A client drops what
    // came after the 220 for the same reason: a server sends nothing before the ClientHello.
    evbuffer* input = bufferevent_get_input(bev_);
    evbuffer_drain(input, evbuffer_get_length(input));
  }
  // The filter reads raw bytes from the socket bufferevent underneath; the reply to STARTTLS
  // already queued there is flushed first, in plaintext, as RFC 3207 requires.
  bufferevent* filtered = bufferevent_openssl_filter_new(
      base_, bev_, ssl, accepting ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_CONNECTING,
      BEV_OPT_CLOSE_ON_FREE);
  if (filtered == nullptr) {
    SSL_free(ssl);
    return Status::ResourceExhausted("bufferevent_openssl_filter_new failed");
  }
  bev_ = filtered;
  handshaking_ = true;
  InstallCallbacks();
  return Status::Ok();
}

void StreamConnection::PauseReading() {
  if (finished_) return;
  if (plain()) {
    paused_ = true;  // no system call: the next edge is simply not acted on
    return;
  }
  bufferevent_disable(bev_, EV_READ);
}

void StreamConnection::ResumeReading() {
  if (finished_ || closing_) return;
  if (plain()) {
    ResumePlain();
    return;
  }
  bufferevent_enable(bev_, EV_READ);
  // Bytes that arrived while paused are already in the input buffer: deliver them now.
  if (evbuffer_get_length(bufferevent_get_input(bev_)) > 0) OnRead(bev_, this);
}

void StreamConnection::CloseAfterFlush() {
  if (finished_) return;
  closing_ = true;
  if (plain()) {
    CloseAfterFlushPlain();
    return;
  }
  bufferevent_disable(bev_, EV_READ);
  FinishWhenFlushed();
}

size_t StreamConnection::pending_output_bytes() const {
  if (plain()) return UnsentPlainBytes();
  return evbuffer_get_length(bufferevent_get_output(bev_));
}

void StreamConnection::OnRead(bufferevent* bev, void* arg) {
  auto* self = static_cast<StreamConnection*>(arg);
  if (self->finished_ || self->closing_) return;
  evbuffer* input = bufferevent_get_input(bev);
  // Hand the bytes over in contiguous pieces; the handler may pause reading or start TLS midway,
  // in which case the rest stays in the buffer (or is discarded by StartTls).
  while (!self->finished_ && !self->closing_ && bev == self->bev_ &&
         evbuffer_get_length(input) > 0 && (bufferevent_get_enabled(bev) & EV_READ)) {
    evbuffer_iovec chunk;
    if (evbuffer_peek(input, -1, nullptr, &chunk, 1) < 1) break;
    // A copy: the handler may start TLS (draining the buffer) or resume reading (re-entering
    // here) from inside the call, so the piece leaves the buffer before the call.
    std::string bytes(static_cast<const char*>(chunk.iov_base), chunk.iov_len);
    evbuffer_drain(input, chunk.iov_len);
    self->handler_->OnBytes(bytes);
  }
}

void StreamConnection::OnWrite(bufferevent* bev, void* arg) {
  auto* self = static_cast<StreamConnection*>(arg);
  if (self->finished_) return;
  if (self->closing_) {
    self->FinishWhenFlushed();
    return;
  }
  // libevent calls this once the output buffer has drained to its low-water mark (zero).
  if (bev == self->bev_ && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
    self->handler_->OnOutputDrained();
  }
}

void StreamConnection::OnEvent(bufferevent* bev, short what, void* arg) {
  auto* self = static_cast<StreamConnection*>(arg);
  if (self->finished_) return;
  if (what & BEV_EVENT_CONNECTED) {
    if (self->handshaking_) {
      self->handshaking_ = false;
      self->tls_ = true;
      SSL* ssl = bufferevent_openssl_get_ssl(bev);
      TlsSessionFacts facts{SSL_get_version(ssl), SSL_get_cipher_name(ssl)};
      self->handler_->OnTlsEstablished(facts);
    }
    return;
  }
  if (what & BEV_EVENT_EOF) {
    self->Finish("peer closed", Ending::kOrderly);
  } else if (what & BEV_EVENT_ERROR) {
    std::string reason = self->handshaking_ ? "TLS handshake failed" : "socket error";
    if (unsigned long ssl_error = bufferevent_get_openssl_error(bev)) {
      char text[256];
      ERR_error_string_n(ssl_error, text, sizeof text);
      reason += std::string(": ") + text;
    } else if (int error = EVUTIL_SOCKET_ERROR()) {
      reason += std::string(": ") + evutil_socket_error_to_string(error);
    }
    self->Finish(reason);
  } else if (what & BEV_EVENT_TIMEOUT) {
    self->Finish("socket timeout");
  }
}

void StreamConnection::Finish(std::string_view reason, Ending ending) {
  if (finished_) return;
  finished_ = true;
  if (flush_check_ != nullptr) evtimer_del(flush_check_);
  if (plain()) {
    // Closing now tells the peer at once; the owner destroys this object later.
    StopPlain();
    ::close(fd_);
    fd_ = -1;
  } else {
    // An orderly end sends close_notify (RFC 8446 6.1, RFC 5246 7.2.1) and keeps the session in
    // the server's cache: OpenSSL removes every session freed without a sent shutdown
    // (ssl_clear_bad_session), so without this no client could resume one, on TLS 1.2 (session
    // id) or 1.3 (ticket). The alert goes out with the flush below.
    if (ending == Ending::kOrderly && tls_) {
      if (SSL* ssl = bufferevent_openssl_get_ssl(bev_)) (void)SSL_shutdown(ssl);
    }
    // A failed handshake leaves its alert (RFC 8446 6.2, RFC 5246 7.2.2: protocol_version,
    // handshake_failure) in the socket bufferevent under the TLS filter, unsent: send it now,
    // best effort, or the peer sees only a closed connection.
    // (The socket bufferevent froze its output's start, so evbuffer_write would refuse.)
    if (bufferevent* under = bufferevent_get_underlying(bev_)) {
      evbuffer* unsent = bufferevent_get_output(under);
      if (size_t bytes = evbuffer_get_length(unsent); bytes > 0) {
        (void)::send(bufferevent_getfd(under), evbuffer_pullup(unsent, static_cast<ssize_t>(bytes)),
                     bytes, MSG_NOSIGNAL | MSG_DONTWAIT);
      }
    }
    bufferevent_disable(bev_, EV_READ | EV_WRITE);
  }
  handler_->OnClosed(reason);
}

}  // namespace lifeboat::net
