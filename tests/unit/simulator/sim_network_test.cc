// The simulated network: connections, ordering and delay, refusal, partitions, clogged nodes,
// loss as retransmission delay, resets, the TLS stand-in and closing, all in virtual time.
#include "simulator/sim_network.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "simulator/world.h"

namespace lifeboat::simulator {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Records what a stream reports.
struct Recorder : ByteStream::Handler {
  std::string bytes;
  std::vector<MonoTime> arrivals;
  std::string closed;  // the reason, once closed
  std::string tls_version;
  World* world;
  explicit Recorder(World* in) : world(in) {}
  void OnBytes(std::string_view in) override {
    bytes += in;
    arrivals.push_back(world->now());
  }
  void OnTlsEstablished(const TlsSessionFacts& facts) override { tls_version = facts.version; }
  void OnClosed(std::string_view reason) override { closed = reason; }
};

class SimNetworkTest : public ::testing::Test {
 protected:
  // Listens on the server host and connects from the client host; both streams started.
  void Connect() {
    Result<std::unique_ptr<NetworkListener>> listening =
        network_.node("10.0.0.1").Listen("10.0.0.1:25", [this](std::unique_ptr<ByteStream> stream) {
          server_ = std::move(stream);
          server_->Start(&server_seen_);
        });
    ASSERT_TRUE(listening.ok()) << listening.status().ToString();
    listener_ = std::move(listening).value();
    pending_ = Dial(seconds(5));
    ASSERT_TRUE(
        world_.RunUntil([&] { return client_ != nullptr && server_ != nullptr; }, seconds(1)));
    client_->Start(&client_seen_);
  }

  std::unique_ptr<PendingConnect> Dial(Duration timeout) {
    Result<std::unique_ptr<PendingConnect>> pending =
        network_.node("10.0.0.2")
            .Connect("10.0.0.1:25", timeout, [this](Result<std::unique_ptr<ByteStream>> stream) {
              if (stream.ok()) {
                client_ = std::move(stream).value();
              } else {
                connect_error_ = stream.status().ToString();
              }
            });
    EXPECT_TRUE(pending.ok());
    return pending.ok() ? std::move(pending).value() : nullptr;
  }

  World world_{21};
  SimNetwork network_{world_};
  std::unique_ptr<NetworkListener> listener_;
  std::unique_ptr<PendingConnect> pending_;
  std::unique_ptr<ByteStream> server_;
  std::unique_ptr<ByteStream> client_;
  std::string connect_error_;
  Recorder server_seen_{&world_};
  Recorder client_seen_{&world_};
};

TEST_F(SimNetworkTest, BytesArriveInOrderAfterTheLinkDelay) {
  Connect();
  const MonoTime sent = world_.now();
  for (int i = 0; i < 100; ++i) client_->Write(std::to_string(i) + ",");
  EXPECT_GT(client_->pending_output_bytes(), 0u);
  world_.RunFor(seconds(1));
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += std::to_string(i) + ",";
  EXPECT_EQ(server_seen_.bytes, expected);
  EXPECT_GE(server_seen_.arrivals.front() - sent, SimNetwork::kDelayMinDefault);
  EXPECT_EQ(client_->pending_output_bytes(), 0u);
  EXPECT_EQ(server_->peer_address().substr(0, 9), "10.0.0.2:");
  EXPECT_EQ(client_->peer_address(), "10.0.0.1:25");
}

TEST_F(SimNetworkTest, NothingListeningRefusesAfterARoundTrip) {
  pending_ = Dial(seconds(5));
  world_.RunFor(seconds(1));
  EXPECT_NE(connect_error_.find("refused"), std::string::npos) << connect_error_;
  EXPECT_EQ(network_.stats().refused, 1u);
}

TEST_F(SimNetworkTest, APartitionHoldsSegmentsUntilHealedAndConnectsTimeOut) {
  Connect();
  network_.Partition("10.0.0.2", "10.0.0.1");
  client_->Write("held");
  world_.RunFor(seconds(10));
  EXPECT_EQ(server_seen_.bytes, "");
  network_.Heal("10.0.0.1", "10.0.0.2");
  world_.RunFor(seconds(1));
  EXPECT_EQ(server_seen_.bytes, "held");

  network_.Partition("10.0.0.1", "10.0.0.2");
  client_.reset();
  pending_ = Dial(seconds(3));
  const MonoTime dialled = world_.now();
  EXPECT_TRUE(world_.RunUntil([&] { return !connect_error_.empty(); }, seconds(10)));
  EXPECT_NE(connect_error_.find("timed out"), std::string::npos) << connect_error_;
  EXPECT_EQ(world_.now() - dialled, seconds(3));
}

TEST_F(SimNetworkTest, ACloggedNodeHoldsEveryLinkUntilUnclogged) {
  Connect();
  network_.Clog("10.0.0.1");
  server_->Write("reply");
  world_.RunFor(seconds(5));
  EXPECT_EQ(client_seen_.bytes, "");
  network_.Unclog("10.0.0.1");
  world_.RunFor(seconds(1));
  EXPECT_EQ(client_seen_.bytes, "reply");
}

TEST_F(SimNetworkTest, ALostSegmentArrivesOneRetransmissionLater) {
  Connect();
  network_.link("10.0.0.1", "10.0.0.2").loss_per_mille = 1000;
  const MonoTime sent = world_.now();
  client_->Write("late");
  world_.RunFor(seconds(1));
  EXPECT_EQ(server_seen_.bytes, "late");
  EXPECT_GE(server_seen_.arrivals.front() - sent, SimNetwork::kRetransmitAfter);
  EXPECT_GE(network_.stats().retransmitted, 1u);
}

TEST_F(SimNetworkTest, ResetsCloseBothEnds) {
  Connect();
  network_.ResetLinks("10.0.0.1", "10.0.0.2");
  world_.RunFor(milliseconds(1));
  EXPECT_NE(server_seen_.closed.find("reset"), std::string::npos);
  EXPECT_NE(client_seen_.closed.find("reset"), std::string::npos);
  client_.reset();
  server_.reset();
  listener_.reset();
  client_seen_ = server_seen_ = Recorder(&world_);
  network_.link("10.0.0.1", "10.0.0.2").reset_per_mille = 1000;
  Connect();
  client_->Write("never");
  world_.RunFor(seconds(1));
  EXPECT_EQ(server_seen_.bytes, "");
  EXPECT_NE(server_seen_.closed.find("reset"), std::string::npos);
}

TEST_F(SimNetworkTest, StartTlsReportsFactsAndDiscardsPlaintextBehindTheCommand) {
  Connect();
  Result<std::unique_ptr<ServerTls>> tls = network_.node("10.0.0.1").LoadServerTls({});
  ASSERT_TRUE(tls.ok());
  client_->Write("STARTTLS\r\n");
  world_.RunFor(seconds(1));
  server_->Write("220 go ahead\r\n");
  ASSERT_TRUE(server_->StartTls(**tls).ok());
  client_->Write("injected\r\n");  // sent before the client saw the handshake: discarded
  world_.RunFor(seconds(1));
  EXPECT_EQ(server_seen_.tls_version, SimNetwork::kTlsVersion);
  EXPECT_TRUE(server_->tls());
  client_->Write("EHLO after\r\n");
  world_.RunFor(seconds(1));
  EXPECT_EQ(server_seen_.bytes, "STARTTLS\r\nEHLO after\r\n");
}

TEST_F(SimNetworkTest, CloseAfterFlushDeliversThenClosesBothEnds) {
  Connect();
  server_->Write("221 bye\r\n");
  server_->CloseAfterFlush();
  world_.RunFor(seconds(1));
  EXPECT_EQ(client_seen_.bytes, "221 bye\r\n");
  EXPECT_FALSE(client_seen_.closed.empty());
  EXPECT_FALSE(server_seen_.closed.empty());
}

TEST_F(SimNetworkTest, ListenRefusesMalformedForeignAndUsedAddresses) {
  Network& node = network_.node("10.0.0.1");
  EXPECT_FALSE(node.Listen("nonsense", [](std::unique_ptr<ByteStream>) {}).ok());
  EXPECT_FALSE(node.Listen("10.0.0.9:25", [](std::unique_ptr<ByteStream>) {}).ok());
  Result<std::unique_ptr<NetworkListener>> any =
      node.Listen("0.0.0.0:0", [](std::unique_ptr<ByteStream>) {});
  ASSERT_TRUE(any.ok());
  EXPECT_EQ((*any)->bound_address().substr(0, 9), "10.0.0.1:");
  EXPECT_FALSE(node.Listen((*any)->bound_address(), [](std::unique_ptr<ByteStream>) {}).ok());
}

}  // namespace
}  // namespace lifeboat::simulator
