#include "simulator/sim_primary.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "appliance/env/check.h"

namespace lifeboat::simulator {

// One SMTP session: just enough of RFC 5321 for a probe and a plain transaction.
class SimPrimary::Session : public ByteStream::Handler {
 public:
  Session(SimPrimary& primary, std::unique_ptr<ByteStream> stream)
      : primary_(primary), stream_(std::move(stream)) {}

  void Start() {
    stream_->Start(this);
    stream_->Write("220 primary.sim ESMTP\r\n");
  }
  bool closed() const { return closed_; }

  void OnBytes(std::string_view bytes) override {
    input_.append(bytes);
    for (size_t end; !closed_ && (end = input_.find("\r\n")) != std::string::npos;) {
      std::string line = input_.substr(0, end);
      input_.erase(0, end + 2);
      in_data_ ? DataLine(line) : Command(line);
    }
    if (!closed_ && !in_data_ && input_.size() > kCommandLineBytesMax) {
      Reply("500 5.5.2 line too long");
      Close();
    }
  }
  void OnTlsEstablished(const TlsSessionFacts&) override {}
  void OnClosed(std::string_view) override { closed_ = true; }

 private:
  void Command(const std::string& line) {
    std::string verb = line.substr(0, 4);
    std::transform(verb.begin(), verb.end(), verb.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (verb == "EHLO" || verb == "HELO") {
      Reply("250 primary.sim");
    } else if (verb == "MAIL" || verb == "RCPT" || verb == "RSET" || verb == "NOOP") {
      Reply("250 2.0.0 ok");
    } else if (verb == "DATA") {
      in_data_ = true;
      Reply("354 go ahead");
    } else if (verb == "QUIT") {
      Reply("221 2.0.0 bye");
      Close();
    } else {
      Reply("500 5.5.1 command unrecognized");  // RFC 5321 4.2.4
    }
  }
  void DataLine(const std::string& line) {
    if (line != ".") return;
    in_data_ = false;
    ++primary_.mails_;
    Reply("250 2.0.0 queued");
  }
  void Reply(std::string_view text) { stream_->Write(std::string(text) + "\r\n"); }
  void Close() {
    closed_ = true;
    stream_->CloseAfterFlush();
  }

  SimPrimary& primary_;
  std::unique_ptr<ByteStream> stream_;
  std::string input_;
  bool in_data_ = false;
  bool closed_ = false;
};

SimPrimary::SimPrimary(World& world, SimNetwork& network, std::string host, uint16_t port)
    : world_(world),
      network_(network),
      env_(world, "primary"),
      host_(std::move(host)),
      port_(port) {
  env_.set_network(&network_.node(host_));
}

SimPrimary::~SimPrimary() {
  Stop();
  env_.Halt();
}

void SimPrimary::Start() {
  if (up()) return;
  Result<std::unique_ptr<NetworkListener>> listener = env_.network().Listen(
      address(), [this](std::unique_ptr<ByteStream> stream) { OnAccept(std::move(stream)); });
  LB_CHECK(listener.ok());
  listener_ = std::move(listener).value();
}

void SimPrimary::Stop() {
  if (!up()) return;
  listener_.reset();
  network_.Disconnect(host_);
  sessions_open_.clear();
}

void SimPrimary::OnAccept(std::unique_ptr<ByteStream> stream) {
  ++sessions_;
  // Sessions that ended are dropped here, outside any of their own callbacks.
  std::erase_if(sessions_open_, [](const std::unique_ptr<Session>& s) { return s->closed(); });
  sessions_open_.push_back(std::make_unique<Session>(*this, std::move(stream)));
  sessions_open_.back()->Start();
}

}  // namespace lifeboat::simulator
