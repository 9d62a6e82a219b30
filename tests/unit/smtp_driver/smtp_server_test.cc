// The SMTP server driven through the Env's network interface alone, on a manual clock: an Env
// whose network() is an in-memory test network. Nothing here is libevent; this is what the
// simulator's network (issue #14) will do at scale. The streams record what the driver asks of
// them.
#include "appliance/smtp/smtp_server.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "simulator/manual_env.h"

namespace lifeboat::smtp_driver {
namespace {

// A stream that records what the driver asks of it; its peer never reads.
class TestStream : public ByteStream {
 public:
  explicit TestStream(std::string peer) : peer_(std::move(peer)) {}
  void Start(Handler* handler) override { handler_ = handler; }
  void Write(std::string_view bytes) override { written_.append(bytes); }
  void PauseReading() override { paused_ = true; }
  void ResumeReading() override { paused_ = false; }
  size_t pending_output_bytes() const override { return written_.size(); }
  Status StartTls(const ServerTls&) override { return Status::Unavailable("no TLS here"); }
  bool tls() const override { return false; }
  void CloseAfterFlush() override { close_requested_ = true; }
  const std::string& peer_address() const override { return peer_; }
  std::string local_address() const override { return "192.0.2.25:25"; }

  Handler* handler_ = nullptr;
  std::string peer_;
  std::string written_;
  bool paused_ = false;
  bool close_requested_ = false;
};

class TestListener : public NetworkListener {
 public:
  const std::string& bound_address() const override { return address_; }
  void Pause() override {}
  void Resume() override {}

 private:
  std::string address_ = "192.0.2.25:25";
};

class TestNetwork : public Network {
 public:
  Result<std::unique_ptr<NetworkListener>> Listen(const std::string&,
                                                  AcceptCallback on_accept) override {
    on_accept_ = std::move(on_accept);
    return std::unique_ptr<NetworkListener>(std::make_unique<TestListener>());
  }
  Result<std::unique_ptr<PendingConnect>> Connect(const std::string&, Duration,
                                                  ConnectCallback) override {
    return Status::Unavailable("no outgoing connections in this test");
  }
  Result<std::unique_ptr<ServerTls>> LoadServerTls(const TlsFiles&) override {
    return Status::Unavailable("no TLS in this test");
  }

  // A client connects from `peer`; the stream stays owned by the server, the pointer is for
  // the test to play the peer.
  TestStream* Accept(const std::string& peer) {
    auto stream = std::make_unique<TestStream>(peer);
    TestStream* raw = stream.get();
    on_accept_(std::move(stream));
    return raw;
  }

 private:
  AcceptCallback on_accept_;
};

class NetworkedManualEnv : public simulator::ManualEnv {
 public:
  NetworkedManualEnv() : ManualEnv(42) {}
  Network& network() override { return network_; }
  TestNetwork network_;
};

class NoProposer : public eventlog::Proposer {
 public:
  void Propose(events::Event, Done done) override { done(Status::Unavailable("not in this test")); }
  uint64_t commit_index() const override { return 0; }
  void AddCommitListener(CommitListener) override {}
};

class SmtpServerTest : public ::testing::Test {
 protected:
  std::unique_ptr<SmtpServer> StartServer(Env& env) {
    SmtpServer::Options options;
    options.listen_address = "192.0.2.25:25";
    options.session.hostname = "mx.example.test";
    options.session.postmaster_domain = "example.test";
    MailIntake intake{&proposer_, nullptr, nullptr};
    auto server = SmtpServer::Start(env, options, nullptr, policy_, admission_, intake);
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    return server.ok() ? std::move(server).value() : nullptr;
  }

  NetworkedManualEnv env_;
  NoProposer proposer_;
  smtp::PolicyChain policy_;
  smtp::SessionAdmission admission_{/*sessions_per_ip_max=*/1, /*sessions_total_max=*/10};
};

TEST_F(SmtpServerTest, ADialogueRunsOverTheEnvsNetworkAndTheClosedSessionIsForgotten) {
  auto server = StartServer(env_);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->bound_address(), "192.0.2.25:25");
  TestStream* client = env_.network_.Accept("198.51.100.7:40000");
  ASSERT_NE(client->handler_, nullptr);
  EXPECT_EQ(client->written_, "220 mx.example.test ESMTP Lifeboat\r\n");
  EXPECT_EQ(server->open_sessions(), 1u);

  client->handler_->OnBytes("EHLO client.example\r\n");
  EXPECT_NE(client->written_.find("250-mx.example.test"), std::string::npos) << client->written_;
  EXPECT_FALSE(client->paused_);
  client->handler_->OnBytes("QUIT\r\n");
  EXPECT_NE(client->written_.find("221 2.0.0"), std::string::npos) << client->written_;
  EXPECT_TRUE(client->close_requested_);

  // The stream reports the close; the server drops the session outside that callback.
  client->handler_->OnClosed("closed by server");
  EXPECT_EQ(server->open_sessions(), 1u);
  EXPECT_EQ(env_.RunPosted(), 1u);
  EXPECT_EQ(server->open_sessions(), 0u);
  EXPECT_EQ(server->stats().sessions_accepted, 1u);
}

TEST_F(SmtpServerTest, RefusedConnectionGets421AndIsForgottenOnceClosed) {
  auto server = StartServer(env_);
  ASSERT_NE(server, nullptr);
  TestStream* first = env_.network_.Accept("198.51.100.7:40000");
  TestStream* second = env_.network_.Accept("198.51.100.7:40001");  // over sessions_per_ip_max
  EXPECT_EQ(first->written_.rfind("220 ", 0), 0u);
  EXPECT_EQ(second->written_, smtp::SessionAdmission::RefusalReply("mx.example.test"));
  EXPECT_TRUE(second->close_requested_);
  EXPECT_TRUE(second->paused_);  // nothing the refused client sends is read
  EXPECT_EQ(server->stats().sessions_refused, 1u);
  EXPECT_EQ(server->open_sessions(), 1u);

  second->handler_->OnClosed("closed by server");
  EXPECT_EQ(env_.RunPosted(), 1u);  // the refusal is dropped outside the stream's callback
  EXPECT_EQ(server->open_sessions(), 1u);
}

TEST_F(SmtpServerTest, AnEnvWithoutANetworkCannotListen) {
  simulator::ManualEnv env(7);
  SmtpServer::Options options;
  options.listen_address = "0.0.0.0:25";
  options.session.hostname = "mx.example.test";
  MailIntake intake{&proposer_, nullptr, nullptr};
  auto server = SmtpServer::Start(env, options, nullptr, policy_, admission_, intake);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace lifeboat::smtp_driver
