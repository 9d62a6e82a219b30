#include "appliance/net/udp_dns_resolver.h"

#include <event2/event.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "appliance/env/check.h"
#include "appliance/net/tcp_listener.h"
#include "modules/delivery/dns_message.h"

namespace lifeboat {
namespace {

// RFC 1035 section 4.2.1: DNS over UDP on port 53.
constexpr std::string_view kDnsPort = "53";
constexpr size_t kResolvConfBytesMax = 64 * 1024;

// One question in flight: its socket, its read event, its retry timer.
class UdpLookup : public PendingLookup {
 public:
  UdpLookup(Env& env, std::string name, DnsType type, Resolver::Done done)
      : env_(env), name_(std::move(name)), type_(type), done_(std::move(done)) {}

  ~UdpLookup() override {
    *alive_ = false;
    env_.CancelTimer(timer_);
    if (event_ != nullptr) event_free(event_);
    if (fd_ >= 0) close(fd_);
  }

  Status Start(event_base* base, const std::string& nameserver, Duration attempt_timeout) {
    attempt_timeout_ = attempt_timeout;
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (!net::ParseSocketAddress(nameserver, &storage, &length)) {
      return Status::InvalidArgument("nameserver '" + nameserver + "': expected HOST:PORT");
    }
    fd_ = ::socket(storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      return Status::ResourceExhausted(std::string("dns: socket: ") + std::strerror(errno));
    }
    // Connected: only the nameserver's datagrams are received, and an ICMP port unreachable
    // comes back as ECONNREFUSED on the next receive.
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
      return Status::Unavailable("dns: connect to " + nameserver + ": " + std::strerror(errno));
    }
    event_ = event_new(base, fd_, EV_READ | EV_PERSIST, &UdpLookup::OnReadable, this);
    if (event_ == nullptr || event_add(event_, nullptr) != 0) {
      return Status::ResourceExhausted("dns: cannot watch the socket");
    }
    id_ = static_cast<uint16_t>(env_.RandomU64());
    query_ = delivery::EncodeDnsQuery(id_, name_, type_);
    nameserver_ = nameserver;
    SendAttempt();
    return Status::Ok();
  }

 private:
  void SendAttempt() {
    ++attempts_;
    // A send that fails (no route yet) is an attempt without an answer: the timer retries it.
    (void)::send(fd_, query_.data(), query_.size(), MSG_NOSIGNAL);
    timer_ = env_.StartTimer(attempt_timeout_, [this] {
      timer_ = 0;
      if (attempts_ < kDnsAttemptsMax) {
        SendAttempt();
        return;
      }
      DnsAnswer answer;
      answer.outcome = DnsAnswer::Outcome::kTemporaryFailure;
      answer.detail =
          "no answer from " + nameserver_ + " after " + std::to_string(attempts_) +
          " attempts of " +
          std::to_string(
              std::chrono::duration_cast<std::chrono::milliseconds>(attempt_timeout_).count()) +
          " ms";
      Finish(std::move(answer));
    });
  }

  static void OnReadable(evutil_socket_t, short, void* arg) {
    static_cast<UdpLookup*>(arg)->Receive();
  }

  void Receive() {
    char buffer[delivery::kDnsUdpMessageBytesMax * 2];
    while (done_) {
      const ssize_t got = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (got < 0) {
        // ECONNREFUSED: nothing listens on the nameserver's port; the timer retries (it may be
        // restarting). EAGAIN: everything read.
        return;
      }
      auto answer = delivery::ParseDnsResponse(std::string_view(buffer, static_cast<size_t>(got)),
                                               id_, name_, type_);
      if (!answer.ok()) continue;  // a stray or forged datagram: keep waiting for ours
      Finish(std::move(answer).value());
    }
  }

  // The callback runs from a posted closure: the caller may destroy this lookup inside it, and
  // must not be called inside a libevent callback of the lookup itself.
  void Finish(DnsAnswer answer) {
    env_.CancelTimer(timer_);
    timer_ = 0;
    if (event_ != nullptr) event_del(event_);
    Resolver::Done done = std::move(done_);
    done_ = nullptr;
    env_.Post([alive = alive_, done = std::move(done), answer = std::move(answer)]() mutable {
      if (*alive) done(std::move(answer));
    });
  }

  Env& env_;
  const std::string name_;
  const DnsType type_;
  Resolver::Done done_;
  std::string nameserver_;
  std::string query_;
  uint16_t id_ = 0;
  int attempts_ = 0;
  Duration attempt_timeout_{};
  int fd_ = -1;
  event* event_ = nullptr;
  TimerId timer_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::vector<std::string> NameserversFromResolvConf(std::string_view text) {
  std::vector<std::string> servers;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    constexpr std::string_view kKeyword = "nameserver";
    if (line.rfind(kKeyword, 0) != 0 || line.size() == kKeyword.size()) continue;
    if (line[kKeyword.size()] != ' ' && line[kKeyword.size()] != '\t') continue;
    line.remove_prefix(kKeyword.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    size_t stop = 0;
    while (stop < line.size() && line[stop] != ' ' && line[stop] != '\t' && line[stop] != '\r' &&
           line[stop] != '#' && line[stop] != ';') {
      ++stop;
    }
    std::string host(line.substr(0, stop));
    // A scoped IPv6 address ("fe80::1%eth0") cannot go through the numeric parser: skipped.
    if (host.empty() || host.find('%') != std::string::npos) continue;
    const bool v6 = host.find(':') != std::string::npos;
    servers.push_back((v6 ? "[" + host + "]" : host) + ":" + std::string(kDnsPort));
  }
  return servers;
}

Result<std::unique_ptr<UdpDnsResolver>> UdpDnsResolver::Create(event_base* base, Env& env,
                                                               const std::string& nameserver,
                                                               Duration attempt_timeout) {
  LB_CHECK(base != nullptr);
  std::string chosen = nameserver;
  if (chosen.empty()) {
    std::ifstream file(kResolvConfPath, std::ios::binary);
    if (!file) {
      return Status::IoError(std::string("dns: cannot open ") + kResolvConfPath + ": " +
                             std::strerror(errno));
    }
    std::string text(kResolvConfBytesMax, '\0');
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(file.gcount()));
    std::vector<std::string> servers = NameserversFromResolvConf(text);
    if (servers.empty()) {
      return Status::NotFound(std::string("dns: no nameserver in ") + kResolvConfPath);
    }
    chosen = servers.front();
  }
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (!net::ParseSocketAddress(chosen, &storage, &length)) {
    return Status::InvalidArgument("dns: nameserver '" + chosen + "': expected HOST:PORT");
  }
  return std::unique_ptr<UdpDnsResolver>(
      new UdpDnsResolver(base, env, std::move(chosen), attempt_timeout));
}

Result<std::unique_ptr<PendingLookup>> UdpDnsResolver::Query(const std::string& name, DnsType type,
                                                             Done done) {
  auto normalized = delivery::NormalizeDnsName(name);
  if (!normalized.ok()) return normalized.status();
  auto lookup =
      std::make_unique<UdpLookup>(env_, std::move(normalized).value(), type, std::move(done));
  LB_RETURN_IF_ERROR(lookup->Start(base_, nameserver_, attempt_timeout_));
  return std::unique_ptr<PendingLookup>(std::move(lookup));
}

}  // namespace lifeboat
