#include "simulator/sim_network.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <utility>

#include "appliance/env/check.h"

namespace lifeboat::simulator {
namespace {

// "HOST:PORT" with a numeric IPv4 host; false when malformed.
bool ParseAddress(const std::string& address, std::string* host, uint16_t* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  *host = address.substr(0, colon);
  if (host->find_first_not_of("0123456789.") != std::string::npos) return false;
  unsigned value = 0;
  const char* first = address.data() + colon + 1;
  const char* last = address.data() + address.size();
  auto [end, error] = std::from_chars(first, last, value);
  if (error != std::errc() || end != last || value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

class SimServerTls final : public ServerTls {
 public:
  Status Reload() override { return Status::Ok(); }
};

}  // namespace

struct SimNetwork::Endpoint : std::enable_shared_from_this<SimNetwork::Endpoint> {
  enum class Kind { kBytes, kFin, kTlsHello, kTlsDone };
  struct Segment {
    Kind kind = Kind::kBytes;
    std::string bytes;
    MonoTime due{0};
  };

  SimNetwork* net = nullptr;
  std::string local_host, local_address, peer_host, peer_address;
  std::weak_ptr<Endpoint> peer;
  ByteStream::Handler* handler = nullptr;
  bool started = false;
  bool paused = false;
  bool closed = false;  // OnClosed delivered, or the stream object is gone
  bool detached = false;
  std::string inbox;
  std::string close_reason;  // set: OnClosed is due once the inbox is delivered
  bool tls = false;
  bool tls_handshaking = false;
  bool close_after_flush = false;
  std::deque<Segment> out;
  size_t out_bytes = 0;
  MonoTime last_due{0};
  bool pump_scheduled = false;

  World& world() { return net->world(); }

  void Send(Kind kind, std::string bytes) {
    if (closed) return;
    bool reset = false;
    const Duration delay = net->SegmentDelay(local_host, peer_host, &reset);
    if (reset) {
      ResetBoth();
      return;
    }
    last_due = std::max(world().now() + delay, last_due);
    out_bytes += bytes.size();
    out.push_back({kind, std::move(bytes), last_due});
    SchedulePump();
  }

  void SchedulePump() {
    if (pump_scheduled || out.empty()) return;
    pump_scheduled = true;
    const Duration wait = std::max(Duration::zero(), out.front().due - world().now());
    world().Schedule(wait, "net/segment", [self = shared_from_this()] { self->Pump(); });
  }

  // One segment per event, so that a handler's reaction never runs inside another delivery.
  void Pump() {
    pump_scheduled = false;
    if (out.empty()) return;
    if (net->Blocked(local_host, peer_host)) {
      net->HoldUntilHealed(shared_from_this());
      return;
    }
    Segment segment = std::move(out.front());
    out.pop_front();
    out_bytes -= segment.bytes.size();
    ++net->mutable_stats().segments;
    std::shared_ptr<Endpoint> to = peer.lock();
    if (to != nullptr) to->Arrive(segment.kind, std::move(segment.bytes));
    if (segment.kind == Kind::kFin && close_after_flush) Close("closed after flush");
    SchedulePump();
    if (out.empty() && !closed && started && handler != nullptr) handler->OnOutputDrained();
  }

  // The held segments go now, in order (the retransmissions after the heal).
  void Release() {
    for (Segment& segment : out) segment.due = world().now();
    SchedulePump();
  }

  void Arrive(Kind kind, std::string bytes) {
    if (closed) return;
    switch (kind) {
      case Kind::kBytes:
        if (!tls_handshaking) inbox += bytes;  // plaintext behind STARTTLS is discarded
        break;
      case Kind::kFin:
        if (close_reason.empty()) close_reason = "connection closed by peer";
        break;
      case Kind::kTlsHello:  // the client side answers; its later bytes queue behind the answer
        tls = true;
        Send(Kind::kTlsDone, "");
        return;
      case Kind::kTlsDone:
        tls = true;
        tls_handshaking = false;
        if (started && handler != nullptr) handler->OnTlsEstablished({kTlsVersion, kTlsCipher});
        return;
    }
    Deliver();
  }

  void Deliver() {
    while (started && !closed && !paused && handler != nullptr && !inbox.empty()) {
      std::string bytes;
      bytes.swap(inbox);
      handler->OnBytes(bytes);
    }
    if (started && !closed && inbox.empty() && !close_reason.empty()) Close(close_reason);
  }

  void ScheduleDeliver() {
    world().Schedule(Duration::zero(), "net/deliver",
                     [self = shared_from_this()] { self->Deliver(); });
  }

  void Close(const std::string& reason) {
    if (closed) return;
    closed = true;
    out.clear();
    out_bytes = 0;
    inbox.clear();
    if (started && handler != nullptr) handler->OnClosed(reason);
  }

  // A reset: both ends close (from their own events), nothing queued arrives.
  void ResetBoth() {
    ++net->mutable_stats().resets;
    for (std::shared_ptr<Endpoint> end : {shared_from_this(), peer.lock()}) {
      if (end == nullptr || end->closed) continue;
      end->out.clear();
      end->out_bytes = 0;
      end->inbox.clear();
      end->close_reason = "connection reset by peer";
      end->ScheduleDeliver();
    }
  }

  // The stream object is gone (or its process died): stop at once. The peer sees a close
  // (FIN) or, for a process that died, a reset.
  void Detach(bool reset) {
    if (detached) return;
    detached = true;
    handler = nullptr;
    const bool was_closed = closed;
    out.clear();
    out_bytes = 0;
    inbox.clear();
    std::shared_ptr<Endpoint> to = peer.lock();
    if (!was_closed && to != nullptr && !to->closed) {
      if (reset) {
        ++net->mutable_stats().resets;
        to->close_reason = "connection reset by peer";
        to->ScheduleDeliver();
      } else {
        Send(Kind::kFin, "");
      }
    }
    closed = true;
  }
};

namespace {

class SimStream final : public ByteStream {
 public:
  explicit SimStream(std::shared_ptr<SimNetwork::Endpoint> end) : end_(std::move(end)) {}
  ~SimStream() override { end_->Detach(/*reset=*/false); }

  void Start(Handler* handler) override {
    LB_CHECK(!end_->started && handler != nullptr);
    end_->handler = handler;
    end_->started = true;
    end_->ScheduleDeliver();  // never inside Start
  }
  void Write(std::string_view bytes) override {
    if (end_->closed || end_->close_after_flush || bytes.empty()) return;
    end_->Send(SimNetwork::Endpoint::Kind::kBytes, std::string(bytes));
  }
  void PauseReading() override { end_->paused = true; }
  void ResumeReading() override {
    if (!end_->paused) return;
    end_->paused = false;
    end_->ScheduleDeliver();
  }
  size_t pending_output_bytes() const override { return end_->out_bytes; }
  Status StartTls(const ServerTls&) override {
    if (end_->closed) return Status::Unavailable("the connection is closed");
    if (end_->tls || end_->tls_handshaking) return Status::FailedPrecondition("TLS already");
    end_->tls_handshaking = true;
    end_->inbox.clear();
    end_->Send(SimNetwork::Endpoint::Kind::kTlsHello, "");
    return Status::Ok();
  }
  bool tls() const override { return end_->tls; }
  void CloseAfterFlush() override {
    if (end_->closed || end_->close_after_flush) return;
    end_->Send(SimNetwork::Endpoint::Kind::kFin, "");
    end_->close_after_flush = true;
  }
  const std::string& peer_address() const override { return end_->peer_address; }
  std::string local_address() const override { return end_->closed ? "" : end_->local_address; }

 private:
  std::shared_ptr<SimNetwork::Endpoint> end_;
};

class SimPendingConnect final : public PendingConnect {
 public:
  explicit SimPendingConnect(std::shared_ptr<bool> cancelled) : cancelled_(std::move(cancelled)) {}
  ~SimPendingConnect() override { *cancelled_ = true; }

 private:
  std::shared_ptr<bool> cancelled_;
};

}  // namespace

class SimNetwork::Listener final : public NetworkListener {
 public:
  Listener(SimNetwork& net, std::string address, Network::AcceptCallback on_accept)
      : net_(net), address_(std::move(address)), on_accept_(std::move(on_accept)) {
    net_.listeners()[address_] = this;
  }
  ~Listener() override {
    net_.listeners().erase(address_);
    for (auto& end : backlog_) end->Detach(/*reset=*/true);
  }
  const std::string& bound_address() const override { return address_; }
  void Pause() override { paused_ = true; }
  void Resume() override {
    paused_ = false;
    net_.world().Schedule(Duration::zero(), "net/accept", [&net = net_, address = address_] {
      auto it = net.listeners().find(address);
      if (it != net.listeners().end()) it->second->HandOver();
    });
  }
  void Offer(std::shared_ptr<Endpoint> end) {
    backlog_.push_back(std::move(end));
    HandOver();
  }

 private:
  void HandOver() {
    while (!paused_ && !backlog_.empty()) {
      std::shared_ptr<Endpoint> end = std::move(backlog_.front());
      backlog_.pop_front();
      on_accept_(std::make_unique<SimStream>(std::move(end)));
    }
  }

  SimNetwork& net_;
  const std::string address_;
  Network::AcceptCallback on_accept_;
  bool paused_ = false;
  std::deque<std::shared_ptr<Endpoint>> backlog_;
};

class SimNetwork::NodeNetwork final : public Network {
 public:
  NodeNetwork(SimNetwork& net, std::string host) : net_(net), host_(std::move(host)) {}

  Result<std::unique_ptr<NetworkListener>> Listen(const std::string& address,
                                                  AcceptCallback on_accept) override {
    std::string host;
    uint16_t port = 0;
    if (!ParseAddress(address, &host, &port)) {
      return Status::InvalidArgument("malformed address: " + address);
    }
    if (host != host_ && host != "0.0.0.0") return Status::IoError(address + " is not ours");
    if (port == 0) port = net_.NextPort();
    const std::string bound = host_ + ":" + std::to_string(port);
    if (net_.listeners().contains(bound)) return Status::IoError(bound + " is in use");
    return std::unique_ptr<NetworkListener>(
        std::make_unique<Listener>(net_, bound, std::move(on_accept)));
  }

  Result<std::unique_ptr<PendingConnect>> Connect(const std::string& address, Duration timeout,
                                                  ConnectCallback on_done) override {
    std::string host;
    uint16_t port = 0;
    if (!ParseAddress(address, &host, &port) || port == 0) {
      return Status::InvalidArgument("malformed address: " + address);
    }
    ++net_.mutable_stats().connects;
    struct Attempt {
      bool done = false;
      World::EventId deadline = 0;
      ConnectCallback on_done;
    };
    auto cancelled = std::make_shared<bool>(false);
    auto attempt = std::make_shared<Attempt>();
    attempt->on_done = std::move(on_done);
    SimNetwork& net = net_;
    auto finish = [cancelled, attempt, &net](Result<std::unique_ptr<ByteStream>> result) {
      if (attempt->done) return;
      attempt->done = true;
      net.world().Cancel(attempt->deadline);
      if (*cancelled) return;
      attempt->on_done(std::move(result));
    };
    attempt->deadline = net_.world().Schedule(timeout, "net/connect-timeout", [=, &net] {
      ++net.mutable_stats().timed_out;
      finish(Status::Unavailable("connect to " + address + ": no answer (timed out)"));
    });
    bool ignored = false;
    const Duration syn = net_.SegmentDelay(host_, host, &ignored);
    const std::string local_host = host_;
    net_.world().Schedule(syn, "net/syn", [=, &net] {
      if (attempt->done || net.Blocked(local_host, host)) return;  // the deadline answers
      bool reset = false;
      const Duration back = net.SegmentDelay(host, local_host, &reset);
      auto it = net.listeners().find(address);
      if (it == net.listeners().end()) {
        ++net.mutable_stats().refused;
        net.world().Schedule(back, "net/refused", [=] {
          finish(Status::Unavailable("connect to " + address + ": connection refused"));
        });
        return;
      }
      auto client = std::make_shared<Endpoint>();
      auto server = std::make_shared<Endpoint>();
      client->net = server->net = &net;
      client->local_host = server->peer_host = local_host;
      client->peer_host = server->local_host = host;
      client->local_address = server->peer_address =
          local_host + ":" + std::to_string(net.NextPort());
      client->peer_address = server->local_address = address;
      client->peer = server;
      server->peer = client;
      net.Register(client);
      net.Register(server);
      it->second->Offer(server);
      net.world().Schedule(back, "net/syn-ack", [=] {
        if (attempt->done || *cancelled) {
          client->Detach(/*reset=*/true);
          return;
        }
        finish(std::unique_ptr<ByteStream>(std::make_unique<SimStream>(client)));
      });
    });
    return std::unique_ptr<PendingConnect>(std::make_unique<SimPendingConnect>(cancelled));
  }

  Result<std::unique_ptr<ServerTls>> LoadServerTls(const TlsFiles&) override {
    return std::unique_ptr<ServerTls>(std::make_unique<SimServerTls>());
  }

 private:
  SimNetwork& net_;
  const std::string host_;
};

SimNetwork::SimNetwork(World& world) : world_(world) {}
SimNetwork::~SimNetwork() = default;

Network& SimNetwork::node(const std::string& host) {
  auto& slot = nodes_[host];
  if (slot == nullptr) slot = std::make_unique<NodeNetwork>(*this, host);
  return *slot;
}

SimNetwork::HostPair SimNetwork::Key(const std::string& a, const std::string& b) {
  return a < b ? HostPair(a, b) : HostPair(b, a);
}

SimNetwork::LinkFaults& SimNetwork::link(const std::string& a, const std::string& b) {
  return links_[Key(a, b)];
}

void SimNetwork::Partition(const std::string& a, const std::string& b) {
  link(a, b).partitioned = true;
}

void SimNetwork::Heal(const std::string& a, const std::string& b) {
  link(a, b).partitioned = false;
  ReleaseHeld();
}

void SimNetwork::Clog(const std::string& host) {
  clogged_.insert(host);
}

void SimNetwork::Unclog(const std::string& host) {
  clogged_.erase(host);
  ReleaseHeld();
}

bool SimNetwork::Blocked(const std::string& a, const std::string& b) const {
  if (clogged_.contains(a) || clogged_.contains(b)) return true;
  auto it = links_.find(Key(a, b));
  return it != links_.end() && it->second.partitioned;
}

void SimNetwork::ReleaseHeld() {
  std::vector<std::weak_ptr<Endpoint>> held;
  held.swap(held_);
  for (auto& weak : held) {
    if (std::shared_ptr<Endpoint> end = weak.lock()) end->Release();
  }
}

Duration SimNetwork::SegmentDelay(const std::string& a, const std::string& b, bool* reset) {
  const LinkFaults& faults = link(a, b);
  const int64_t span = std::max<int64_t>(0, (faults.delay_max - faults.delay_min).count());
  Duration delay = faults.delay_min + Duration(world_.random().Below(span + 1));
  if (faults.loss_per_mille > 0 && world_.random().Below(1000) < faults.loss_per_mille) {
    ++stats_.retransmitted;
    delay += kRetransmitAfter;
  }
  *reset = faults.reset_per_mille > 0 && world_.random().Below(1000) < faults.reset_per_mille;
  return delay;
}

void SimNetwork::Register(std::shared_ptr<Endpoint> endpoint) {
  if (endpoints_.size() > 64 && endpoints_.size() % 64 == 0) {
    std::erase_if(endpoints_, [](const std::weak_ptr<Endpoint>& weak) { return weak.expired(); });
  }
  endpoints_.push_back(std::move(endpoint));
}

void SimNetwork::ResetLinks(const std::string& a, const std::string& b) {
  for (auto& weak : endpoints_) {
    std::shared_ptr<Endpoint> end = weak.lock();
    if (end == nullptr || end->closed) continue;
    if (Key(end->local_host, end->peer_host) == Key(a, b)) end->ResetBoth();
  }
}

void SimNetwork::Disconnect(const std::string& host) {
  for (auto& weak : endpoints_) {
    std::shared_ptr<Endpoint> end = weak.lock();
    if (end != nullptr && end->local_host == host) end->Detach(/*reset=*/true);
  }
}

}  // namespace lifeboat::simulator
