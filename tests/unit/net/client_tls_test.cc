// Client STARTTLS through the libevent Network (issue #11 Build 3: "STARTTLS to the primary with
// its certificate verified against a configured CA; opportunistic STARTTLS for internet MX"):
// a real loopback connection, our own server side running the handshake, and the verdicts a
// delivery driver relies on: the right CA and name pass, a wrong name or a foreign CA fail the
// handshake, and opportunistic TLS encrypts whatever the server presents.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "appliance/env/libevent_env.h"
#include "appliance/env/network.h"
#include "appliance/tls/self_signed_certificate.h"
#include "simulator/manual_env.h"

namespace lifeboat::net {
namespace {

constexpr Duration kWaitMax = std::chrono::seconds(20);
constexpr Duration kRecheckInterval = std::chrono::milliseconds(1);
constexpr Duration kConnectTimeout = std::chrono::seconds(10);

class Peer : public ByteStream::Handler {
 public:
  void OnBytes(std::string_view bytes) override { received.append(bytes); }
  void OnTlsEstablished(const TlsSessionFacts& facts) override { established = facts; }
  void OnClosed(std::string_view reason) override { closed = std::string(reason); }

  std::string received;
  std::optional<TlsSessionFacts> established;
  std::optional<std::string> closed;
};

class ClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    auto env = LibeventEnv::Create();
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    env_ = std::move(env).value();
    char pattern[] = "/tmp/lifeboat-client-tls-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    // The server's certificate (SAN DNS:localhost, IP:127.0.0.1) is its own CA; a second one
    // made the same way is a CA that did not sign it. Made with the real clock: the chain is
    // verified against the time now.
    Env& cert_env = *env_;
    server_files_ = {dir_ + "/server.pem", dir_ + "/server.key"};
    ASSERT_TRUE(tls::WriteSelfSignedCertificate(cert_env, server_files_.certificate_chain_path,
                                                server_files_.private_key_path)
                    .ok());
    ASSERT_TRUE(
        tls::WriteSelfSignedCertificate(cert_env, dir_ + "/other.pem", dir_ + "/other.key").ok());
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    listener_.reset();
    std::filesystem::remove_all(dir_);
  }

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

  // Connects a client to our TLS server and starts both handshakes; runs until both sides
  // have either finished it or closed.
  void Handshake(const ClientTlsOptions& options, const std::string& server_name) {
    Network& network = env_->network();
    auto server_tls = network.LoadServerTls(server_files_);
    ASSERT_TRUE(server_tls.ok()) << server_tls.status().ToString();
    server_tls_ = std::move(server_tls).value();
    auto client_tls = network.LoadClientTls(options);
    ASSERT_TRUE(client_tls.ok()) << client_tls.status().ToString();
    client_tls_ = std::move(client_tls).value();
    auto listener = network.Listen("127.0.0.1:0", [&](std::unique_ptr<ByteStream> accepted) {
      server_ = std::move(accepted);
    });
    ASSERT_TRUE(listener.ok()) << listener.status().ToString();
    listener_ = std::move(listener).value();
    std::optional<Result<std::unique_ptr<ByteStream>>> connected;
    auto pending = network.Connect(
        listener_->bound_address(), kConnectTimeout,
        [&](Result<std::unique_ptr<ByteStream>> stream) { connected.emplace(std::move(stream)); });
    ASSERT_TRUE(pending.ok()) << pending.status().ToString();
    ASSERT_TRUE(RunUntil([&] { return connected.has_value() && server_ != nullptr; }));
    ASSERT_TRUE(connected->ok()) << connected->status().ToString();
    client_ = std::move(*connected).value();
    server_->Start(&server_peer_);
    client_->Start(&client_peer_);
    ASSERT_TRUE(server_->StartTls(*server_tls_).ok());
    Status started = client_->StartClientTls(*client_tls_, server_name);
    ASSERT_TRUE(started.ok()) << started.ToString();
    ASSERT_TRUE(RunUntil([&] {
      return (client_peer_.established || client_peer_.closed) &&
             (server_peer_.established || server_peer_.closed);
    }));
  }

  std::unique_ptr<LibeventEnv> env_;
  std::string dir_;
  TlsFiles server_files_;
  std::unique_ptr<ServerTls> server_tls_;
  std::unique_ptr<ClientTls> client_tls_;
  std::unique_ptr<NetworkListener> listener_;
  std::unique_ptr<ByteStream> server_;
  std::unique_ptr<ByteStream> client_;
  Peer server_peer_;
  Peer client_peer_;
};

TEST_F(ClientTlsTest, VerifiedAgainstTheConfiguredCaByHostNameCarriesTheSession) {
  Handshake({true, server_files_.certificate_chain_path}, "localhost");
  ASSERT_TRUE(client_peer_.established.has_value()) << client_peer_.closed.value_or("");
  ASSERT_TRUE(server_peer_.established.has_value());
  EXPECT_TRUE(client_->tls());
  EXPECT_EQ(client_peer_.established->version, server_peer_.established->version);
  EXPECT_TRUE(client_peer_.established->version == "TLSv1.3" ||
              client_peer_.established->version == "TLSv1.2")
      << client_peer_.established->version;
  client_->Write("MAIL FROM:<a@example.test>\r\n");
  server_->Write("250 2.1.0 Ok\r\n");
  ASSERT_TRUE(RunUntil([&] {
    return server_peer_.received == "MAIL FROM:<a@example.test>\r\n" &&
           client_peer_.received == "250 2.1.0 Ok\r\n";
  }));
}

TEST_F(ClientTlsTest, ANumericHostIsCheckedAgainstTheIpAddressName) {
  Handshake({true, server_files_.certificate_chain_path}, "127.0.0.1");
  EXPECT_TRUE(client_peer_.established.has_value()) << client_peer_.closed.value_or("");
}

TEST_F(ClientTlsTest, ACertificateForAnotherNameFailsTheHandshake) {
  Handshake({true, server_files_.certificate_chain_path}, "mail.corp.example.test");
  EXPECT_FALSE(client_peer_.established.has_value());
  ASSERT_TRUE(client_peer_.closed.has_value());
  EXPECT_NE(client_peer_.closed->find("TLS handshake failed"), std::string::npos)
      << *client_peer_.closed;
  EXPECT_NE(client_peer_.closed->find("certificate verify failed"), std::string::npos)
      << *client_peer_.closed;
  EXPECT_FALSE(client_->tls());
}

TEST_F(ClientTlsTest, ACertificateTheCaDidNotSignFailsTheHandshake) {
  Handshake({true, dir_ + "/other.pem"}, "localhost");
  EXPECT_FALSE(client_peer_.established.has_value());
  ASSERT_TRUE(client_peer_.closed.has_value());
  EXPECT_NE(client_peer_.closed->find("certificate verify failed"), std::string::npos)
      << *client_peer_.closed;
}

TEST_F(ClientTlsTest, OpportunisticTlsEncryptsWhateverTheServerPresents) {
  Handshake({false, dir_ + "/other.pem"}, "mail.corp.example.test");
  ASSERT_TRUE(client_peer_.established.has_value()) << client_peer_.closed.value_or("");
  EXPECT_TRUE(client_->tls());
}

TEST_F(ClientTlsTest, AMissingCaFileIsNamedInTheError) {
  auto tls = env_->network().LoadClientTls({true, dir_ + "/missing.pem"});
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(tls.status().message().find("missing.pem"), std::string::npos)
      << tls.status().ToString();
}

// An Env without a network has no client TLS either: an error value, not a crash.
TEST(DefaultNetworkClientTlsTest, AnEnvWithoutANetworkHasNoClientTls) {
  simulator::ManualEnv env(1);
  auto tls = env.network().LoadClientTls({});
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace lifeboat::net
