#include "eventlog/raft/tcp_raft_transport.h"

#include <algorithm>
#include <utility>

#include "eventlog/raft/raft_codec.h"

namespace lifeboat::eventlog::raft {

// Our connection to one peer: connect, TLS as the connecting end, then frames out.
class TcpRaftTransport::Outbound : public ByteStream::Handler {
 public:
  Outbound(TcpRaftTransport& owner, uint64_t peer_id, std::string address)
      : owner_(owner), peer_id_(peer_id), address_(std::move(address)) {}

  const std::string& address() const { return address_; }
  bool ready() const { return ready_; }
  // Retired connections wait for their destruction and ignore whatever still happens to them.
  void set_retired() { closed_ = true; }

  Status Begin() {
    auto pending = owner_.env_.network().Connect(
        address_, kTcpRaftConnectTimeout,
        [this](Result<std::unique_ptr<ByteStream>> stream) { OnConnected(std::move(stream)); });
    if (!pending.ok()) return pending.status();
    pending_ = std::move(pending).value();
    return Status::Ok();
  }

  Status Send(std::string frame) {
    if (closed_) return Status::Unavailable("connection to raft node closed");
    const size_t pending = PendingBytes();
    if (pending > 0 && pending + frame.size() > kTcpRaftSendQueueBytesMax) {
      return Status::Unavailable("send queue to raft node " + std::to_string(peer_id_) + " full (" +
                                 std::to_string(pending) + " bytes)");
    }
    if (ready_) {
      stream_->Write(frame);
    } else {
      queued_bytes_ += frame.size();
      queue_.push_back(std::move(frame));
    }
    return Status::Ok();
  }

  // ByteStream::Handler. The peer never writes on our connection: what it sends is ignored.
  void OnBytes(std::string_view) override {}
  void OnTlsEstablished(const TlsSessionFacts&) override {
    if (!closed_) BecomeReady();
  }
  void OnClosed(std::string_view) override { Close(); }

 private:
  size_t PendingBytes() const {
    return queued_bytes_ + (stream_ != nullptr ? stream_->pending_output_bytes() : 0);
  }

  void OnConnected(Result<std::unique_ptr<ByteStream>> stream) {
    pending_.reset();  // allowed from inside on_done (network.h)
    if (closed_) return;
    if (!stream.ok()) return Close();
    stream_ = std::move(stream).value();
    stream_->Start(this);
    if (owner_.options_.tls == nullptr) return BecomeReady();
    if (!stream_->StartClusterTls(*owner_.options_.tls, TlsRole::kConnecting).ok()) Close();
  }

  void BecomeReady() {
    ready_ = true;
    ++owner_.stats_.handshakes_done;
    owner_.backoff_.erase(peer_id_);
    for (const std::string& frame : queue_) stream_->Write(frame);
    queue_.clear();
    queued_bytes_ = 0;
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    owner_.OutboundClosed(peer_id_);  // retires this object: nothing after
  }

  TcpRaftTransport& owner_;
  const uint64_t peer_id_;
  const std::string address_;
  std::unique_ptr<PendingConnect> pending_;
  std::unique_ptr<ByteStream> stream_;
  bool ready_ = false;
  bool closed_ = false;
  std::deque<std::string> queue_;  // frames written once ready
  size_t queued_bytes_ = 0;
};

// A peer's connection to us: TLS as the accepting end, then frames in.
class TcpRaftTransport::Inbound : public ByteStream::Handler {
 public:
  Inbound(TcpRaftTransport& owner, std::unique_ptr<ByteStream> stream)
      : owner_(owner), stream_(std::move(stream)) {}

  Status Begin() {
    stream_->Start(this);
    if (owner_.options_.tls == nullptr) return Status::Ok();
    return stream_->StartClusterTls(*owner_.options_.tls, TlsRole::kAccepting);
  }
  void set_retired() { retired_ = true; }

  void OnBytes(std::string_view bytes) override {
    if (retired_) return;
    buffer_.append(bytes);
    size_t consumed = 0;
    while (!retired_ && buffer_.size() - consumed >= kRaftFrameLengthBytes) {
      size_t length = 0;
      for (size_t i = 0; i < kRaftFrameLengthBytes; ++i) {
        length = (length << 8) | static_cast<uint8_t>(buffer_[consumed + i]);
      }
      if (length > kRaftFrameBytesMax) {
        // Peer input: a stream we cannot resynchronize. Drop the connection, not the node.
        ++owner_.stats_.inbound_rejected;
        return owner_.InboundClosed(this);
      }
      const size_t frame_bytes = kRaftFrameLengthBytes + length;
      if (buffer_.size() - consumed < frame_bytes) break;
      std::string frame = buffer_.substr(consumed, frame_bytes);
      consumed += frame_bytes;
      // The receiver may stop the transport (and retire this connection): checked above.
      owner_.Deliver(std::move(frame));
    }
    if (!retired_) buffer_.erase(0, consumed);
  }
  void OnTlsEstablished(const TlsSessionFacts&) override {}
  void OnClosed(std::string_view) override {
    if (!retired_) owner_.InboundClosed(this);
  }

 private:
  TcpRaftTransport& owner_;
  std::unique_ptr<ByteStream> stream_;
  std::string buffer_;  // bytes of frames not yet complete
  bool retired_ = false;
};

Result<std::unique_ptr<TcpRaftTransport>> TcpRaftTransport::Listen(
    Env& env, TcpRaftTransportOptions options) {
  std::unique_ptr<TcpRaftTransport> transport(new TcpRaftTransport(env, std::move(options)));
  TcpRaftTransport* self = transport.get();
  auto listener = env.network().Listen(
      self->options_.listen_address,
      [self](std::unique_ptr<ByteStream> stream) { self->Accept(std::move(stream)); });
  if (!listener.ok()) return listener.status();
  transport->listener_ = std::move(listener).value();
  return transport;
}

TcpRaftTransport::TcpRaftTransport(Env& env, TcpRaftTransportOptions options)
    : env_(env), options_(std::move(options)) {}

TcpRaftTransport::~TcpRaftTransport() {
  *alive_ = false;
  listener_.reset();
  outbound_.clear();
  inbound_.clear();
}

void TcpRaftTransport::Start(Receiver receiver) {
  LB_CHECK(receiver != nullptr);
  receiver_ = std::move(receiver);
}

void TcpRaftTransport::Stop() {
  receiver_ = nullptr;
  // Stop may run inside a receiver call, that is inside a connection's Handler call.
  auto outbound = std::move(outbound_);
  outbound_.clear();
  for (auto& [id, connection] : outbound) Retire(std::move(connection));
  auto inbound = std::move(inbound_);
  inbound_.clear();
  for (auto& [key, connection] : inbound) Retire(std::move(connection));
  backoff_.clear();
}

Status TcpRaftTransport::Send(uint64_t to_id, std::string_view to_address, std::string frame) {
  auto it = outbound_.find(to_id);
  if (it != outbound_.end() && it->second->address() != to_address) {
    // The configuration moved the peer: the old connection goes.
    Retire(std::move(it->second));
    outbound_.erase(it);
    it = outbound_.end();
  }
  if (it == outbound_.end()) {
    Backoff& backoff = backoff_[to_id];
    if (env_.MonotonicNow() < backoff.not_before) {
      ++stats_.frames_refused;
      return Status::Unavailable("raft node " + std::to_string(to_id) + ": reconnect backoff");
    }
    auto connection = std::make_unique<Outbound>(*this, to_id, std::string(to_address));
    ++stats_.connects_started;
    Status started = connection->Begin();
    if (!started.ok()) {
      backoff.not_before = env_.MonotonicNow() + backoff.interval;
      backoff.interval = std::min<Duration>(backoff.interval * 2, kTcpRaftReconnectBackoffMax);
      ++stats_.frames_refused;
      return started;
    }
    it = outbound_.emplace(to_id, std::move(connection)).first;
  }
  Status sent = it->second->Send(std::move(frame));
  if (sent.ok()) {
    ++stats_.frames_sent;
  } else {
    ++stats_.frames_refused;
  }
  return sent;
}

void TcpRaftTransport::Accept(std::unique_ptr<ByteStream> stream) {
  if (inbound_.size() >= kTcpRaftInboundConnectionsMax) {
    ++stats_.inbound_rejected;
    return;  // destroyed here, outside any Handler call: the socket closes
  }
  auto connection = std::make_unique<Inbound>(*this, std::move(stream));
  Inbound* key = connection.get();
  inbound_.emplace(key, std::move(connection));
  if (!key->Begin().ok()) InboundClosed(key);
}

void TcpRaftTransport::Deliver(std::string frame) {
  if (receiver_ == nullptr) return;
  ++stats_.frames_received;
  receiver_(std::move(frame));
}

void TcpRaftTransport::OutboundClosed(uint64_t peer_id) {
  auto it = outbound_.find(peer_id);
  if (it == outbound_.end()) return;
  Backoff& backoff = backoff_[peer_id];
  if (it->second->ready()) {
    backoff.interval = kTcpRaftReconnectBackoffMin;  // it worked until now: retry soon
  }
  backoff.not_before = env_.MonotonicNow() + backoff.interval;
  if (!it->second->ready()) {
    backoff.interval = std::min<Duration>(backoff.interval * 2, kTcpRaftReconnectBackoffMax);
  }
  Retire(std::move(it->second));
  outbound_.erase(it);
}

void TcpRaftTransport::InboundClosed(Inbound* connection) {
  auto it = inbound_.find(connection);
  if (it == inbound_.end()) return;
  Retire(std::move(it->second));
  inbound_.erase(it);
}

void TcpRaftTransport::Retire(std::unique_ptr<Outbound> connection) {
  connection->set_retired();
  std::shared_ptr<Outbound> dying(std::move(connection));
  env_.Post([dying] {});  // destroyed with the closure, on a later turn of the loop
}

void TcpRaftTransport::Retire(std::unique_ptr<Inbound> connection) {
  connection->set_retired();
  std::shared_ptr<Inbound> dying(std::move(connection));
  env_.Post([dying] {});
}

}  // namespace lifeboat::eventlog::raft
