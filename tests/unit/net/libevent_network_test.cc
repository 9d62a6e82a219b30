// The libevent Network (LibeventEnv::network()) end to end over loopback TCP, through the
// interface only, as a driver sees it: listen on port 0, connect, exchange bytes both ways,
// close; and the errors a caller must handle (refused, malformed, cancelled, bad TLS files).
// Each test is a timeline: act, run the loop until a bounded condition, check.
#include "appliance/net/libevent_network.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "appliance/env/libevent_env.h"
#include "appliance/env/network.h"
#include "simulator/manual_env.h"

namespace lifeboat::net {
namespace {

constexpr Duration kWaitMax = std::chrono::seconds(20);
constexpr Duration kRecheckInterval = std::chrono::milliseconds(1);
constexpr Duration kConnectTimeout = std::chrono::seconds(10);

class Peer : public ByteStream::Handler {
 public:
  void OnBytes(std::string_view bytes) override {
    if (closed.has_value()) bytes_after_close = true;
    received.append(bytes);
  }
  void OnTlsEstablished(const TlsSessionFacts&) override {}
  void OnClosed(std::string_view reason) override { closed = std::string(reason); }

  std::string received;
  std::optional<std::string> closed;
  bool bytes_after_close = false;
};

class LibeventNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);  // as `lifeboat serve` does
    auto env = LibeventEnv::Create();
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    env_ = std::move(env).value();
  }

  // Runs the loop until `done` holds; false if that took longer than kWaitMax. Only the Env's
  // own timers drive it: the condition is re-checked every kRecheckInterval.
  bool RunUntil(const std::function<bool()>& done) {
    bool timed_out = false;
    const MonoTime deadline = env_->MonotonicNow() + kWaitMax;
    std::function<void()> check = [&] {
      if (done()) {
        env_->Stop();
      } else if (env_->MonotonicNow() > deadline) {
        timed_out = true;
        env_->Stop();
      } else {
        env_->StartTimer(kRecheckInterval, check);
      }
    };
    env_->StartTimer(Duration::zero(), check);
    EXPECT_TRUE(env_->Run().ok());
    return !timed_out && done();
  }

  Network& network() { return env_->network(); }

  std::unique_ptr<LibeventEnv> env_;
};

TEST_F(LibeventNetworkTest, ListenConnectExchangeAndClose) {
  std::unique_ptr<ByteStream> server;
  auto listener = network().Listen(
      "127.0.0.1:0", [&](std::unique_ptr<ByteStream> accepted) { server = std::move(accepted); });
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  const std::string address = (*listener)->bound_address();
  ASSERT_EQ(address.rfind("127.0.0.1:", 0), 0u) << address;
  ASSERT_NE(address, "127.0.0.1:0");  // port 0 picked a real port

  std::optional<Result<std::unique_ptr<ByteStream>>> connected;
  auto pending = network().Connect(
      address, kConnectTimeout,
      [&](Result<std::unique_ptr<ByteStream>> stream) { connected.emplace(std::move(stream)); });
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  EXPECT_FALSE(connected.has_value());  // never inside Connect()
  ASSERT_TRUE(RunUntil([&] { return connected.has_value() && server != nullptr; }));
  ASSERT_TRUE(connected->ok()) << connected->status().ToString();
  std::unique_ptr<ByteStream> client = std::move(*connected).value();

  // Each end's local address is the other's peer address.
  EXPECT_EQ(client->peer_address(), address);
  EXPECT_EQ(server->local_address(), address);
  EXPECT_EQ(server->peer_address(), client->local_address());
  EXPECT_FALSE(client->tls());

  Peer client_peer, server_peer;
  client->Start(&client_peer);
  server->Start(&server_peer);
  client->Write("EHLO client.example\r\n");
  ASSERT_TRUE(RunUntil([&] { return server_peer.received == "EHLO client.example\r\n"; }));
  const std::string reply(200 * 1024, 'r');  // several reads' worth
  server->Write(reply);
  ASSERT_TRUE(RunUntil([&] { return client_peer.received.size() == reply.size(); }));
  EXPECT_TRUE(client_peer.received == reply);
  EXPECT_EQ(server->pending_output_bytes(), 0u);

  // The client's last bytes arrive before the server hears of the close.
  client->Write("QUIT\r\n");
  client->CloseAfterFlush();
  ASSERT_TRUE(RunUntil([&] { return client_peer.closed.has_value(); }));
  EXPECT_EQ(*client_peer.closed, "closed by server");  // the closing side's own words
  EXPECT_EQ(client->local_address(), "");
  ASSERT_TRUE(RunUntil([&] { return server_peer.closed.has_value(); }));
  EXPECT_EQ(server_peer.received, "EHLO client.example\r\nQUIT\r\n");
  EXPECT_EQ(*server_peer.closed, "peer closed");
  EXPECT_FALSE(server_peer.bytes_after_close);
}

TEST_F(LibeventNetworkTest, PausedListenerLeavesConnectionsWaitingUntilResumed) {
  int accepted = 0;
  std::unique_ptr<ByteStream> server;
  auto listener = network().Listen("127.0.0.1:0", [&](std::unique_ptr<ByteStream> stream) {
    ++accepted;
    server = std::move(stream);
  });
  ASSERT_TRUE(listener.ok());
  (*listener)->Pause();
  std::optional<Result<std::unique_ptr<ByteStream>>> connected;
  auto pending = network().Connect((*listener)->bound_address(), kConnectTimeout,
                                   [&](auto stream) { connected.emplace(std::move(stream)); });
  ASSERT_TRUE(pending.ok());
  // The kernel completes the handshake from its backlog; the listener does not take it.
  ASSERT_TRUE(RunUntil([&] { return connected.has_value(); }));
  ASSERT_TRUE(connected->ok());
  EXPECT_EQ(accepted, 0);
  (*listener)->Resume();
  ASSERT_TRUE(RunUntil([&] { return accepted == 1; }));
}

TEST_F(LibeventNetworkTest, ConnectToAClosedPortIsUnavailable) {
  std::string address;
  {
    auto listener = network().Listen("127.0.0.1:0", [](std::unique_ptr<ByteStream>) {});
    ASSERT_TRUE(listener.ok());
    address = (*listener)->bound_address();
  }  // closed: nothing listens there any more
  std::optional<Result<std::unique_ptr<ByteStream>>> connected;
  auto pending = network().Connect(address, kConnectTimeout,
                                   [&](auto stream) { connected.emplace(std::move(stream)); });
  // Loopback usually answers the SYN with a reset after connect() returned; a kernel that
  // refuses at once makes it an error of Connect() itself. Either way: kUnavailable, refused.
  Status refused = pending.status();
  if (pending.ok()) {
    ASSERT_TRUE(RunUntil([&] { return connected.has_value(); }));
    ASSERT_FALSE(connected->ok());
    refused = connected->status();
  }
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.message().find("Connection refused"), std::string::npos) << refused.ToString();
}

// A listener whose accept queue is full drops new SYNs (Linux, backlog 0 holds one connection),
// so the second connect gets no answer: the test's own raw socket plays that peer.
TEST_F(LibeventNetworkTest, ConnectWithoutAnAnswerTimesOut) {
  int full = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(full, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(full, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(::listen(full, 0), 0);
  ASSERT_EQ(getsockname(full, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string target = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  std::optional<Result<std::unique_ptr<ByteStream>>> first, second;
  auto queued = network().Connect(target, kConnectTimeout,
                                  [&](auto stream) { first.emplace(std::move(stream)); });
  ASSERT_TRUE(queued.ok());
  ASSERT_TRUE(RunUntil([&] { return first.has_value(); }));
  ASSERT_TRUE(first->ok()) << first->status().ToString();  // it fills the accept queue

  const MonoTime started = env_->MonotonicNow();
  auto unanswered = network().Connect(target, std::chrono::milliseconds(300),
                                      [&](auto stream) { second.emplace(std::move(stream)); });
  ASSERT_TRUE(unanswered.ok());
  ASSERT_TRUE(RunUntil([&] { return second.has_value(); }));
  ASSERT_FALSE(second->ok());
  EXPECT_EQ(second->status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second->status().message().find("timed out"), std::string::npos)
      << second->status().ToString();
  EXPECT_GE(env_->MonotonicNow() - started, std::chrono::milliseconds(300));
  ::close(full);
}

TEST_F(LibeventNetworkTest, DestroyingAPendingConnectCancelsIt) {
  std::unique_ptr<ByteStream> server;
  auto listener = network().Listen(
      "127.0.0.1:0", [&](std::unique_ptr<ByteStream> stream) { server = std::move(stream); });
  ASSERT_TRUE(listener.ok());
  bool called = false;
  auto pending = network().Connect((*listener)->bound_address(), kConnectTimeout,
                                   [&](auto) { called = true; });
  ASSERT_TRUE(pending.ok());
  pending->reset();
  // The server side sees the connection come (and go); the cancelled callback never runs.
  ASSERT_TRUE(RunUntil([&] { return server != nullptr; }));
  EXPECT_FALSE(called);
}

TEST_F(LibeventNetworkTest, MalformedAddressesAreRefusedAtOnce) {
  auto listener = network().Listen("no-port", [](std::unique_ptr<ByteStream>) {});
  ASSERT_FALSE(listener.ok());
  EXPECT_EQ(listener.status().code(), StatusCode::kInvalidArgument);
  auto pending = network().Connect("mail.example.com:25", kConnectTimeout, [](auto) {});
  ASSERT_FALSE(pending.ok());  // a name, not a numeric address: no lookup here
  EXPECT_EQ(pending.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LibeventNetworkTest, ListeningOnAnAddressInUseIsAnIoError) {
  auto first = network().Listen("127.0.0.1:0", [](std::unique_ptr<ByteStream>) {});
  ASSERT_TRUE(first.ok());
  auto second = network().Listen((*first)->bound_address(), [](std::unique_ptr<ByteStream>) {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kIoError);
}

TEST_F(LibeventNetworkTest, ServerTlsFromMissingFilesNamesTheFile) {
  auto tls = network().LoadServerTls({"/nonexistent/cert.pem", "/nonexistent/key.pem"});
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.status().message().find("/nonexistent/cert.pem"), std::string::npos)
      << tls.status().ToString();
}

// An Env that only keeps time has the default network: nothing on it, errors as values.
TEST(DefaultNetworkTest, AnEnvWithoutANetworkRefusesEverything) {
  simulator::ManualEnv env(1);
  auto listener = env.network().Listen("127.0.0.1:0", [](std::unique_ptr<ByteStream>) {});
  ASSERT_FALSE(listener.ok());
  EXPECT_EQ(listener.status().code(), StatusCode::kUnavailable);
  auto pending = env.network().Connect("127.0.0.1:25", kConnectTimeout, [](auto) {});
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(env.network().LoadServerTls({"cert.pem", "key.pem"}).ok());
}

}  // namespace
}  // namespace lifeboat::net
