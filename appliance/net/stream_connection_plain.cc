// StreamConnection's plain socket path: plaintext SMTP without a bufferevent.
//
// Why: a bufferevent re-arms its write event around every reply (two epoll_ctl calls per reply)
// and asks FIONREAD before every read; at one message per connection those system calls were a
// large part of the loop thread's time. Here one edge-triggered event is registered when the
// connection is adopted and removed when it closes; pausing and resuming cost no system call.
//
// Edge-triggered readiness (epoll EPOLLET) reports a change, not a state, so the state is kept
// here: readable_ stays set until a read comes back short (the socket was emptied: the next byte
// brings a new edge) or would block; writable_ until a send would block. A short read ends the
// edge, so the end of stream is flagged apart (EV_CLOSED, EPOLLRDHUP) and read to the end.
// One blind spot: libevent reports EPOLLERR/EPOLLHUP as plain EV_READ|EV_WRITE, so a reset that
// lands together with data is noticed only at the next send or the session's own deadline, as
// for a peer that vanished silently.
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "appliance/net/stream_connection.h"

namespace lifeboat::net {
namespace {

// One read's worth: a 10 KiB message with its commands arrives in one read.
constexpr size_t kReadChunkBytes = 16 * 1024;

// Every connection reads into the loop thread's one buffer: the Handler sees a view of it only
// during OnBytes, and nothing reads another connection from inside OnBytes (writes, resumes and
// closes are deferred or never read). A buffer per connection would cost 1,000 idle sessions
// 16 MiB.
char* LoopReadBuffer() {
  thread_local char buffer[kReadChunkBytes];
  return buffer;
}
// A connection that keeps sending is read this many times in a row, then the loop polls the
// other connections before it goes on (fairness between sessions).
constexpr int kReadsPerTurnMax = 8;
constexpr timeval kNextTurn = {0, 0};
// STARTTLS: plaintext the peer sent behind the command and still in the socket is read and
// dropped up to this much; anything beyond reaches the TLS handshake, which then fails.
constexpr size_t kStartTlsDiscardBytesMax = 64 * 1024;

std::string SocketErrorReason(int error) {
  return std::string("socket error: ") + std::strerror(error);
}

}  // namespace

Status StreamConnection::AdoptPlain(int fd) {
  fd_ = fd;  // owned from here: the destructor closes it, also on the error returns below
  io_event_ = event_new(base_, fd, EV_READ | EV_WRITE | EV_CLOSED | EV_ET | EV_PERSIST,
                        &StreamConnection::OnPlainIo, this);
  deferred_event_ = event_new(base_, -1, 0, &StreamConnection::OnPlainDeferred, this);
  if (io_event_ == nullptr || deferred_event_ == nullptr) {
    return Status::ResourceExhausted("event_new failed for " + peer_);
  }
  // epoll reports readiness that predates the registration, so bytes the peer sent before this
  // (an early talker) are not missed.
  if (event_add(io_event_, nullptr) != 0) {
    return Status::ResourceExhausted("event_add failed for " + peer_);
  }
  return Status::Ok();
}

void StreamConnection::OnPlainIo(int, short what, void* arg) {
  auto* self = static_cast<StreamConnection*>(arg);
  if (self->finished_ || !self->plain()) return;
  if (what & (EV_READ | EV_CLOSED)) self->readable_ = true;
  if (what & EV_CLOSED) self->peer_shut_down_ = true;
  if (what & EV_WRITE) self->writable_ = true;
  if (self->handler_ == nullptr) return;  // Start() acts on what was recorded
  self->ServicePlain();
}

void StreamConnection::OnPlainDeferred(int, short, void* arg) {
  auto* self = static_cast<StreamConnection*>(arg);
  if (self->finished_ || !self->plain()) return;
  self->ServicePlain();
}

void StreamConnection::ScheduleServicePlain() {
  // Runs after the current callback, before the loop polls again: no system call.
  event_active(deferred_event_, EV_TIMEOUT, 1);
}

void StreamConnection::ServicePlain() {
  LB_CHECK(!servicing_);
  servicing_ = true;
  ReadPlain();
  // What the Handler queued while reading leaves in one send().
  if (!finished_ && plain()) FlushPlain();
  servicing_ = false;
  if (finished_ || !plain()) return;
  if (closing_) {
    if (UnsentPlainBytes() == 0) {
      Finish("closed by server", Ending::kOrderly);
    } else {
      ArmCloseDeadline();
    }
    return;
  }
  // Outside servicing_: what the Handler writes from here schedules its own turn.
  if (output_drained_) {
    output_drained_ = false;
    handler_->OnOutputDrained();
  }
}

void StreamConnection::ReadPlain() {
  int reads = 0;
  // The Handler may pause, close or start TLS from OnBytes: check again after every call.
  while (!finished_ && plain() && readable_ && !paused_ && !closing_) {
    if (reads == kReadsPerTurnMax) {
      evtimer_add(deferred_event_, &kNextTurn);
      return;
    }
    char* buffer = LoopReadBuffer();
    ssize_t got = ::recv(fd_, buffer, kReadChunkBytes, 0);
    if (got > 0) {
      ++reads;
      if (static_cast<size_t>(got) < kReadChunkBytes && !peer_shut_down_) readable_ = false;
      handler_->OnBytes(std::string_view(buffer, static_cast<size_t>(got)));
    } else if (got == 0) {
      Finish("peer closed", Ending::kOrderly);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      readable_ = false;
    } else if (errno != EINTR) {
      Finish(SocketErrorReason(errno));
    }
  }
}

void StreamConnection::FlushPlain() {
  const bool had_output = UnsentPlainBytes() > 0;
  while (!finished_ && writable_ && UnsentPlainBytes() > 0) {
    // MSG_NOSIGNAL: a peer that left is an EPIPE here, not a SIGPIPE for the whole node.
    ssize_t sent = ::send(fd_, output_.data() + output_sent_, UnsentPlainBytes(), MSG_NOSIGNAL);
    if (sent >= 0) {
      output_sent_ += static_cast<size_t>(sent);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      writable_ = false;  // the EV_WRITE edge comes when the peer has read
    } else if (errno != EINTR) {
      Finish(SocketErrorReason(errno));
    }
  }
  if (output_sent_ == output_.size()) {
    output_.clear();
    output_sent_ = 0;
    if (had_output && !finished_) output_drained_ = true;
  }
}

void StreamConnection::WritePlain(std::string_view bytes) {
  output_.append(bytes);
  if (!servicing_) ScheduleServicePlain();
}

void StreamConnection::ResumePlain() {
  const bool was_paused = paused_;
  paused_ = false;
  // Readiness seen while paused was kept in readable_; no new edge will come for it.
  if (was_paused && readable_ && !servicing_) ScheduleServicePlain();
}

void StreamConnection::CloseAfterFlushPlain() {
  if (servicing_) return;  // ServicePlain flushes and finishes when the Handler returns
  FlushPlain();
  if (finished_) return;
  if (UnsentPlainBytes() == 0) {
    Finish("closed by server", Ending::kOrderly);
  } else {
    ArmCloseDeadline();
  }
}

void StreamConnection::StopPlain() {
  if (io_event_ != nullptr) event_del(io_event_);
  if (deferred_event_ != nullptr) event_del(deferred_event_);
}

Status StreamConnection::MovePlainToBufferevent(bool discard_unread) {
  // RFC 3207 section 4, CVE-2011-0411: plaintext the peer sent behind STARTTLS is discarded,
  // never read as commands. The bytes already read were handed over whole and the session drops
  // them; here the socket is emptied too. Our 220 reply is still unsent (it leaves through the
  // bufferevent below), and a client must wait for it before it starts TLS, so nothing dropped
  // here can be a ClientHello.
  // Not the loop's read buffer: the Handler may still hold a view of it (StartTls runs inside
  // OnBytes).
  char discard[4096];
  size_t discarded = 0;
  // Cluster TLS starts at the first byte: what the socket holds is the peer's ClientHello.
  while (discard_unread && discarded < kStartTlsDiscardBytesMax) {
    ssize_t got = ::recv(fd_, discard, sizeof discard, 0);
    if (got > 0) {
      discarded += static_cast<size_t>(got);
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // would block; or the end of stream or an error, which the bufferevent meets again
    }
  }
  bufferevent* socket_bev = bufferevent_socket_new(base_, fd_, BEV_OPT_CLOSE_ON_FREE);
  if (socket_bev == nullptr) {
    return Status::ResourceExhausted("bufferevent_socket_new failed for " + peer_);
  }
  // The socket now belongs to the bufferevent. The events stay allocated until the destructor:
  // this may run inside OnPlainIo.
  StopPlain();
  fd_ = -1;
  if (UnsentPlainBytes() > 0) {
    bufferevent_write(socket_bev, output_.data() + output_sent_, UnsentPlainBytes());
  }
  output_.clear();
  output_sent_ = 0;
  bufferevent_enable(socket_bev, EV_READ | EV_WRITE);
  bev_ = socket_bev;
  return Status::Ok();
}

}  // namespace lifeboat::net
