#include "appliance/smtp/smtp_server.h"

#include <cstdio>

#include "appliance/smtp/smtp_connection.h"

namespace lifeboat::smtp_driver {
namespace {

// "192.0.2.1:2525" / "[2001:db8::1]:2525" -> ip and port.
smtp::PeerInfo SplitPeer(const std::string& peer) {
  smtp::PeerInfo info;
  size_t colon = peer.rfind(':');
  std::string host = colon == std::string::npos ? peer : peer.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  info.ip = host;
  if (colon != std::string::npos) {
    info.port = static_cast<uint16_t>(std::strtoul(peer.c_str() + colon + 1, nullptr, 10));
  }
  return info;
}

}  // namespace

// A connection admission refused: it gets the 421 and is closed once that has left (RFC 5321
// 3.8). What the client sends meanwhile is not read.
class SmtpServer::Refusal : public ByteStream::Handler {
 public:
  Refusal(SmtpServer& server, uint64_t id, std::unique_ptr<ByteStream> stream)
      : server_(server), id_(id), stream_(std::move(stream)) {}
  void Begin(std::string_view reply) {
    stream_->Start(this);
    stream_->PauseReading();
    stream_->Write(reply);
    stream_->CloseAfterFlush();
  }
  void OnBytes(std::string_view) override {}
  void OnTlsEstablished(const TlsSessionFacts&) override {}
  void OnClosed(std::string_view) override {
    server_.env_.Post([server = &server_, id = id_] { server->Forget(id); });
  }

 private:
  SmtpServer& server_;
  const uint64_t id_;
  std::unique_ptr<ByteStream> stream_;
};

SmtpServer::SmtpServer(Env& env, Options options, const ServerTls* tls,
                       const smtp::PolicyChain& policy, smtp::SessionAdmission& admission,
                       MailIntake intake, JournalSources journal)
    : env_(env),
      options_(std::move(options)),
      tls_(tls),
      policy_(policy),
      admission_(admission),
      intake_(intake),
      journal_(journal) {
  options_.session.tls_available = tls_ != nullptr;
}

Result<std::unique_ptr<SmtpServer>> SmtpServer::Start(Env& env, Options options,
                                                      const ServerTls* tls,
                                                      const smtp::PolicyChain& policy,
                                                      smtp::SessionAdmission& admission,
                                                      MailIntake intake, JournalSources journal) {
  LB_CHECK(intake.proposer != nullptr);
  LB_CHECK((journal.networks == nullptr) == (journal.policy == nullptr));
  std::unique_ptr<SmtpServer> server(
      new SmtpServer(env, std::move(options), tls, policy, admission, intake, journal));
  SmtpServer* raw = server.get();
  auto listener = env.network().Listen(
      raw->options_.listen_address,
      [raw](std::unique_ptr<ByteStream> stream) { raw->Accept(std::move(stream)); });
  if (!listener.ok()) return listener.status();
  server->listener_ = std::move(listener).value();
  return server;
}

SmtpServer::~SmtpServer() = default;

void SmtpServer::StopAccepting() {
  if (listener_ != nullptr) listener_->Pause();
}

void SmtpServer::Accept(std::unique_ptr<ByteStream> stream) {
  smtp::PeerInfo info = SplitPeer(stream->peer_address());
  Result<smtp::SessionAdmission::Ticket> ticket = admission_.Admit(info.ip);
  if (!ticket.ok()) {
    ++stats_.sessions_refused;
    Refuse(std::move(stream));
    return;
  }
  ++stats_.sessions_accepted;
  uint64_t id = next_connection_id_++;
  const bool journal = journal_.networks != nullptr && journal_.networks->Contains(info.ip);
  auto connection = std::make_unique<SmtpConnection>(
      *this, id, std::move(ticket).value(), std::move(info), journal ? *journal_.policy : policy_,
      journal ? events::MAIL_SOURCE_JOURNAL : events::MAIL_SOURCE_SMTP_INBOUND);
  SmtpConnection* raw = connection.get();
  connections_.emplace(id, std::move(connection));
  raw->Begin(std::move(stream));
}

void SmtpServer::Refuse(std::unique_ptr<ByteStream> stream) {
  // RFC 5321 3.8: a server that cannot serve now answers 421 and closes. On a fresh connection
  // the short reply leaves at once, and so the stream closes within this loop turn or the next.
  uint64_t id = next_connection_id_++;
  auto refusal = std::make_unique<Refusal>(*this, id, std::move(stream));
  Refusal* raw = refusal.get();
  refusals_.emplace(id, std::move(refusal));
  raw->Begin(smtp::SessionAdmission::RefusalReply(options_.session.hostname));
}

void SmtpServer::Forget(uint64_t connection_id) {
  connections_.erase(connection_id);
  refusals_.erase(connection_id);
}

std::string SmtpServer::NewMailId() {
  // Time-ordered (wall micros) then random: unique across nodes and restarts, sortable in logs.
  char text[64];
  std::snprintf(text, sizeof text, "%013llx%08llx",
                static_cast<unsigned long long>(env_.WallNow().count()),
                static_cast<unsigned long long>(env_.RandomU64() & 0xffffffffull));
  return options_.node_id.empty() ? std::string(text) : options_.node_id + "-" + text;
}

}  // namespace lifeboat::smtp_driver
