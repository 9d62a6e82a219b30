// `lifeboat serve` as a real child process: it starts on a free port with a temp config, answers
// /healthz, `lifeboat status --json` reports it, SIGTERM stops it with exit 0 and "stopped";
// restarted with another cluster_id it refuses to start and says why.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "appliance/admin/admin_client.h"
#include "eventlog/events.pb.h"
#include "eventlog/log_store.h"
#include "tests/unit/appliance/child_process.h"

namespace {

using lifeboat::testing::Child;
using lifeboat::testing::FreePort;
using lifeboat::testing::ReadUntil;
using lifeboat::testing::WaitExit;

Child Spawn(const std::vector<std::string>& args) {
  return lifeboat::testing::Spawn(LIFEBOAT_BINARY, args);
}

// Runs `lifeboat args...` to completion.
int RunLifeboat(const std::vector<std::string>& args, std::string& output) {
  output.clear();
  return lifeboat::testing::Run(LIFEBOAT_BINARY, args, output);
}

class ServeIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lifeboat-serve-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    port_ = FreePort();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteConfig(const std::string& cluster_id) {
    std::string path = dir_ + "/lifeboat-" + cluster_id + ".toml";
    std::ofstream(path) << "[node]\nid = \"n1\"\ncluster_id = \"" << cluster_id << "\"\n"
                        << "data_dir = \"" << dir_ << "/data\"\n"
                        << "[admin]\nlisten = \"127.0.0.1:" << port_ << "\"\n";
    return path;
  }

  std::string dir_;
  uint16_t port_ = 0;
};

TEST_F(ServeIntegrationTest, ServesStatusStopsOnSigtermAndRefusesAnotherCluster) {
  std::string config = WriteConfig("acme");
  Child serve = Spawn({"serve", "--config", config});
  std::string serve_output;
  ASSERT_TRUE(ReadUntil(serve.output_fd, serve_output, "\"msg\":\"started\"")) << serve_output;

  auto health = lifeboat::admin::AdminGet("127.0.0.1", port_, "/healthz", "");
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  auto unauthorized = lifeboat::admin::AdminGet("127.0.0.1", port_, "/v1/status", "");
  ASSERT_TRUE(unauthorized.ok());
  EXPECT_EQ(unauthorized->status, 401);

  std::string status_output;
  EXPECT_EQ(RunLifeboat({"status", "--json", "--config", config}, status_output), 0)
      << status_output;
  EXPECT_NE(status_output.find("\"node_id\":\"n1\""), std::string::npos) << status_output;
  EXPECT_NE(status_output.find("\"cluster_id\":\"acme\""), std::string::npos);
  EXPECT_NE(status_output.find("\"version\":\""), std::string::npos);
  EXPECT_NE(status_output.find("\"data_dir\":\"" + dir_ + "/data\""), std::string::npos);
  EXPECT_NE(status_output.find("\"admin\":\"127.0.0.1:" + std::to_string(port_) + "\""),
            std::string::npos);
  EXPECT_NE(status_output.find("\"read_only\":false"), std::string::npos);

  std::string rebuild_output;
  EXPECT_EQ(RunLifeboat({"rebuild", "--config", config}, rebuild_output), 1);
  EXPECT_NE(rebuild_output.find("the node is running"), std::string::npos) << rebuild_output;

  ASSERT_EQ(kill(serve.pid, SIGTERM), 0);
  EXPECT_EQ(WaitExit(serve, serve_output), 0) << serve_output;
  EXPECT_NE(serve_output.find("\"msg\":\"stopped\""), std::string::npos) << serve_output;

  // The node is gone: rebuild may run now.
  rebuild_output.clear();
  EXPECT_EQ(RunLifeboat({"rebuild", "--config", config}, rebuild_output), 0) << rebuild_output;
  EXPECT_NE(rebuild_output.find("state hash "), std::string::npos);

  std::string refused_output;
  EXPECT_EQ(RunLifeboat({"serve", "--config", WriteConfig("other")}, refused_output), 1);
  EXPECT_NE(refused_output.find("lifeboat: data dir " + dir_ +
                                "/data belongs to cluster \"acme\", but the config says "
                                "cluster_id \"other\""),
            std::string::npos)
      << refused_output;
}

TEST_F(ServeIntegrationTest, LogCommandsReadOfflineAndThroughTheRunningNode) {
  std::string config = WriteConfig("acme");
  {
    // A log written before: three operator drills, each a valid RoutingChanged (the routing
    // projection folds them at start and refuses a change without a scope or a mode).
    std::filesystem::create_directories(dir_ + "/data");
    lifeboat::eventlog::LogStoreOptions options;
    options.path = dir_ + "/data/log";
    auto log = lifeboat::eventlog::LogStore::Open(options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    std::vector<lifeboat::eventlog::LogRecord> records;
    for (uint64_t index = 1; index <= 3; ++index) {
      lifeboat::events::Event event;
      event.set_node_id("n1");
      lifeboat::events::RoutingChanged* change = event.mutable_routing_changed();
      change->set_scope("all");
      change->set_mode(index % 2 == 1 ? lifeboat::events::ROUTING_MODE_CONTINUITY
                                      : lifeboat::events::ROUTING_MODE_NORMAL);
      change->set_forced_by_operator(true);
      change->set_operator_name("test");
      change->set_reason("drill " + std::to_string(index));
      lifeboat::eventlog::LogRecord record{index, 1, ""};
      ASSERT_TRUE(event.SerializeToString(&record.payload));
      records.push_back(record);
    }
    ASSERT_TRUE((*log)->Append(records).ok());
  }
  std::string output;
  EXPECT_EQ(RunLifeboat({"log", "tail", "-n", "2", "--config", config}, output), 0) << output;
  EXPECT_EQ(output.find("drill 1"), std::string::npos) << output;
  EXPECT_NE(output.find("\"index\":\"2\""), std::string::npos) << output;
  EXPECT_NE(output.find("drill 3"), std::string::npos) << output;
  output.clear();
  EXPECT_EQ(RunLifeboat({"log", "show", "9", "--config", config}, output), 1);
  EXPECT_NE(output.find("lifeboat: log: no event at index 9"), std::string::npos) << output;
  output.clear();
  EXPECT_EQ(RunLifeboat({"log", "show", "x", "--config", config}, output), 2);

  Child serve = Spawn({"serve", "--config", config});
  std::string serve_output;
  ASSERT_TRUE(ReadUntil(serve.output_fd, serve_output, "\"msg\":\"started\"")) << serve_output;
  output.clear();
  EXPECT_EQ(RunLifeboat({"log", "show", "1", "--config", config}, output), 0) << output;
  EXPECT_NE(output.find("drill 1"), std::string::npos) << output;
  EXPECT_EQ(output.find("drill 2"), std::string::npos) << output;
  output.clear();
  EXPECT_EQ(RunLifeboat({"log", "tail", "--config", config}, output), 0) << output;
  EXPECT_NE(output.find("drill 1"), std::string::npos) << output;
  EXPECT_NE(output.find("drill 3"), std::string::npos) << output;
  output.clear();
  EXPECT_EQ(RunLifeboat({"status", "--config", config}, output), 0) << output;
  EXPECT_NE(output.find("log        1..3 (committed through 3)\n"), std::string::npos) << output;
  EXPECT_NE(output.find("node       n1 in cluster acme\n"), std::string::npos) << output;
  ASSERT_EQ(kill(serve.pid, SIGTERM), 0);
  EXPECT_EQ(WaitExit(serve, serve_output), 0) << serve_output;
}

TEST_F(ServeIntegrationTest, UsageAndConfigErrorsHaveTheirExitCodes) {
  std::string output;
  EXPECT_EQ(RunLifeboat({"frobnicate"}, output), 2);
  EXPECT_NE(output.find("unknown command \"frobnicate\""), std::string::npos) << output;
  output.clear();
  std::string bad = dir_ + "/bad.toml";
  std::ofstream(bad) << "[admin]\nlisten = \"0.0.0.0:9025\"\n";
  EXPECT_EQ(RunLifeboat({"serve", "--config", bad}, output), 1);
  EXPECT_NE(output.find("config: node.id: missing"), std::string::npos) << output;
  output.clear();
  EXPECT_EQ(RunLifeboat({"version"}, output), 0);
  EXPECT_EQ(output.rfind("lifeboat ", 0), 0u) << output;
}

}  // namespace
