// TcpRaftTransport over real loopback TCP with mutual TLS from a cluster CA made for the test:
// three RaftNodes elect a leader and commit on every node; a leader that goes is replaced and
// comes back to catch up; a node with a certificate from another CA reaches no one; a peer that
// announces an oversize frame loses its connection. Timelines on a LibeventEnv, every wait
// bounded by a condition.
#include "eventlog/raft/tcp_raft_transport.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/env/libevent_env.h"
#include "appliance/tls/cluster_certificates.h"
#include "eventlog/raft/memory_raft_storage.h"
#include "eventlog/raft/raft_node.h"
#include "tests/unit/raft/raft_cluster_harness.h"

namespace lifeboat::eventlog::raft {
namespace {

constexpr Duration kWaitMax = std::chrono::seconds(20);
constexpr Duration kRecheckInterval = std::chrono::milliseconds(2);

class TempDirectory {
 public:
  TempDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "raft-tcp-XXXXXX").string();
    LB_CHECK(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDirectory() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class TcpRaftTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    auto env = LibeventEnv::Create();
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    env_ = std::move(env).value();
  }
  void TearDown() override {
    for (auto& [id, member] : members_) {
      if (member.node != nullptr) StopNode(id);
    }
    members_.clear();
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

  // A cluster CA in `directory` and certificates for nodes 1..count.
  void MakeCertificates(const std::string& directory, uint64_t count) {
    ASSERT_TRUE(tls::CreateClusterCa(*env_, directory).ok());
    for (uint64_t id = 1; id <= count; ++id) {
      ASSERT_TRUE(tls::IssueClusterNodeCertificate(*env_, directory, id).ok());
    }
  }

  // Node `id`'s certificate from `directory`, trusting the CA in `ca_directory`.
  std::unique_ptr<ClusterTls> LoadTls(const std::string& directory, uint64_t id,
                                      const std::string& ca_directory) {
    ClusterTlsFiles files;
    files.own.certificate_chain_path = tls::ClusterNodeCertificatePath(directory, id);
    files.own.private_key_path = tls::ClusterNodeKeyPath(directory, id);
    files.ca_certificate_path = tls::ClusterCaCertificatePath(ca_directory);
    auto loaded = env_->network().LoadClusterTls(files);
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    return loaded.ok() ? std::move(loaded).value() : nullptr;
  }

  struct Member {
    std::unique_ptr<ClusterTls> tls;
    std::shared_ptr<MemoryRaftDisk> disk = std::make_shared<MemoryRaftDisk>();
    std::unique_ptr<MemoryRaftStorage> storage;
    std::unique_ptr<TcpRaftTransport> transport;
    std::unique_ptr<testing::RecordingMachine> machine;
    std::unique_ptr<RaftNode> node;
  };

  // Node `id` listening on a free loopback port, with its certificate from `directory`.
  void Listen(uint64_t id, const std::string& directory, std::string ca_directory = "") {
    Member& member = members_[id];
    member.tls = LoadTls(directory, id, ca_directory.empty() ? directory : ca_directory);
    ASSERT_NE(member.tls, nullptr);
    TcpRaftTransportOptions options;
    options.listen_address = "127.0.0.1:0";
    options.tls = member.tls.get();
    auto transport = TcpRaftTransport::Listen(*env_, options);
    ASSERT_TRUE(transport.ok()) << transport.status().ToString();
    member.transport = std::move(transport).value();
  }

  std::vector<RaftServer> Servers() const {
    std::vector<RaftServer> servers;
    for (const auto& [id, member] : members_) {
      servers.push_back(RaftServer{id, member.transport->bound_address(), RAFT_VOTER});
    }
    return servers;
  }

  void StartNode(uint64_t id, bool bootstrap) {
    Member& member = members_.at(id);
    const std::vector<RaftServer> servers = Servers();
    member.storage = std::make_unique<MemoryRaftStorage>(*env_, member.disk);
    member.machine = std::make_unique<testing::RecordingMachine>();
    RaftNodeOptions options;
    options.id = id;
    options.address = member.transport->bound_address();
    member.node = std::make_unique<RaftNode>(*env_, *member.storage, *member.transport,
                                             *member.machine, options);
    if (bootstrap) {
      ASSERT_TRUE(member.node->Bootstrap(servers).ok());
    }
    ASSERT_TRUE(member.node->Start().ok());
  }

  void StopNode(uint64_t id) {
    Member& member = members_.at(id);
    bool closed = false;
    member.node->Close([&closed] { closed = true; });
    ASSERT_TRUE(RunUntil([&] { return closed; }));
    member.node.reset();
    member.storage.reset();
  }

  std::optional<uint64_t> Leader() const {
    std::optional<uint64_t> leader;
    uint64_t term = 0;
    for (const auto& [id, member] : members_) {
      if (member.node == nullptr || !member.node->is_leader()) continue;
      if (!leader.has_value() || member.node->term() > term) {
        leader = id;
        term = member.node->term();
      }
    }
    return leader;
  }

  // Proposes `command` on the leader until one is accepted (a leader may step down meanwhile).
  Result<uint64_t> Commit(const std::string& command) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      if (!RunUntil([&] { return Leader().has_value(); })) break;
      std::optional<Result<uint64_t>> outcome;
      members_.at(*Leader()).node->Propose(
          command, [&](Result<uint64_t> index) { outcome = std::move(index); });
      if (!RunUntil([&] { return outcome.has_value(); })) break;
      if (outcome->ok()) return *outcome;
    }
    return Status::Unavailable("no commit");
  }

  bool AllApplied(const std::string& command) const {
    for (const auto& [id, member] : members_) {
      if (member.node == nullptr) continue;
      const auto& commands = member.machine->commands();
      if (std::find(commands.begin(), commands.end(), command) == commands.end()) return false;
    }
    return true;
  }

  std::unique_ptr<LibeventEnv> env_;
  std::map<uint64_t, Member> members_;
};

TEST_F(TcpRaftTransportTest, ThreeNodesOverMutualTlsElectCommitAndSurviveLeaderLoss) {
  TempDirectory certificates;
  MakeCertificates(certificates.path(), 3);
  for (uint64_t id = 1; id <= 3; ++id) Listen(id, certificates.path());
  for (uint64_t id = 1; id <= 3; ++id) StartNode(id, /*bootstrap=*/true);

  ASSERT_TRUE(RunUntil([&] { return Leader().has_value(); }));
  ASSERT_TRUE(Commit("first").ok());
  ASSERT_TRUE(RunUntil([&] { return AllApplied("first"); }));
  // Every connection is a verified TLS session: each node completed handshakes to its peers.
  for (const auto& [id, member] : members_) {
    EXPECT_GE(member.transport->stats().handshakes_done, 1u) << "node " << id;
    EXPECT_GT(member.transport->stats().frames_received, 0u) << "node " << id;
  }

  // The leader goes; the other two elect a new one and commit without it.
  const uint64_t old_leader = *Leader();
  StopNode(old_leader);
  ASSERT_TRUE(RunUntil([&] { return Leader().has_value(); }));
  EXPECT_NE(*Leader(), old_leader);
  ASSERT_TRUE(Commit("second").ok());

  // Back on its disk, it reconnects (backoff) and catches up.
  StartNode(old_leader, /*bootstrap=*/false);
  ASSERT_TRUE(RunUntil([&] { return AllApplied("first") && AllApplied("second"); }));
}

TEST_F(TcpRaftTransportTest, NodeWithCertificateFromAnotherCaReachesNoOne) {
  TempDirectory cluster;
  TempDirectory stranger;
  MakeCertificates(cluster.path(), 1);
  MakeCertificates(stranger.path(), 2);
  Listen(1, cluster.path());
  // Node 2 trusts the cluster CA, so it accepts node 1 as a server, but its own certificate is
  // signed by the stranger CA: node 1 must refuse it as a client.
  Listen(2, stranger.path(), cluster.path());

  std::string frame = std::string("\0\0\0\0", 4);
  const std::string to = members_.at(1).transport->bound_address();
  TcpRaftTransport& intruder = *members_.at(2).transport;
  intruder.Start([](std::string) {});
  members_.at(1).transport->Start([](std::string) {});
  // Keep sending: each refused handshake closes the connection, and the next Send after the
  // backoff connects again. Three connects started means two ended.
  ASSERT_TRUE(RunUntil([&] {
    (void)intruder.Send(1, to, frame);
    return intruder.stats().connects_started >= 3;
  }));
  EXPECT_GT(intruder.stats().frames_sent, 0u);
  EXPECT_EQ(members_.at(1).transport->stats().frames_received, 0u);
  intruder.Stop();
  members_.at(1).transport->Stop();
}

TEST_F(TcpRaftTransportTest, OversizeFrameClosesTheConnection) {
  TcpRaftTransportOptions options;
  options.listen_address = "127.0.0.1:0";  // plaintext: the simulator's configuration
  auto receiver = TcpRaftTransport::Listen(*env_, options);
  ASSERT_TRUE(receiver.ok());
  int frames = 0;
  (*receiver)->Start([&](std::string) { ++frames; });

  class Client : public ByteStream::Handler {
   public:
    void OnBytes(std::string_view) override {}
    void OnTlsEstablished(const TlsSessionFacts&) override {}
    void OnClosed(std::string_view) override { closed = true; }
    bool closed = false;
  } client;
  std::unique_ptr<ByteStream> stream;
  auto pending = env_->network().Connect((*receiver)->bound_address(), kWaitMax,
                                         [&](Result<std::unique_ptr<ByteStream>> connected) {
                                           ASSERT_TRUE(connected.ok());
                                           stream = std::move(connected).value();
                                           stream->Start(&client);
                                           // 0xFFFFFFFF bytes announced: over kRaftFrameBytesMax.
                                           stream->Write(std::string(4, '\xff'));
                                         });
  ASSERT_TRUE(pending.ok());
  ASSERT_TRUE(RunUntil([&] { return client.closed; }));
  EXPECT_EQ((*receiver)->stats().inbound_rejected, 1u);
  EXPECT_EQ(frames, 0);
  (*receiver)->Stop();
}

}  // namespace
}  // namespace lifeboat::eventlog::raft
