// The node wired together in-process on the real libevent Env: proposals become durable log
// records, the admin API serves them with auth, shutdown drains, and a data dir refuses another
// cluster or a newer schema.
#include "appliance/node.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "appliance/admin/admin_client.h"
#include "appliance/node_identity.h"
#include "eventlog/log_store.h"

namespace lifeboat {
namespace {

constexpr std::chrono::seconds kTestDeadline{10};

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lifeboat-node-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    config_.origin = "test";
    config_.node.id = "n1";
    config_.node.cluster_id = "acme";
    config_.node.data_dir = dir_ + "/data";
    config_.admin.host = "127.0.0.1";
    config_.admin.port = 0;  // any free port
    auto env = LibeventEnv::Create();
    ASSERT_TRUE(env.ok());
    env_ = std::move(env).value();
    logger_ = std::make_unique<Logger>(
        *env_, LogLevel::kInfo, [this](std::string_view line) { log_lines_.emplace_back(line); });
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs the loop until `done()` holds, or fails the test after kTestDeadline.
  void RunUntil(const std::function<bool()>& done) {
    bool timed_out = false;
    TimerId guard = env_->StartTimer(kTestDeadline, [&] {
      timed_out = true;
      env_->Stop();
    });
    std::function<void()> check = [&] {
      if (done()) {
        env_->Stop();
        return;
      }
      env_->StartTimer(std::chrono::milliseconds(1), check);
    };
    env_->Post(check);
    ASSERT_TRUE(env_->Run().ok());
    env_->CancelTimer(guard);
    ASSERT_FALSE(timed_out);
  }

  // Proposes `events` and runs the loop until each has its index.
  std::vector<uint64_t> ProposeAll(Node& node, std::vector<events::Event> events) {
    std::vector<uint64_t> indices;
    size_t answered = 0;
    for (auto& event : events) {
      node.proposer().Propose(std::move(event), [&](Result<uint64_t> index) {
        EXPECT_TRUE(index.ok()) << index.status().ToString();
        if (index.ok()) indices.push_back(*index);
        ++answered;
      });
    }
    size_t expected = events.size();
    RunUntil([&] { return answered == expected; });
    return indices;
  }

  // The admin API answers from the loop thread, which the client's blocking call would hold up:
  // run the request on another thread while the loop runs.
  Result<admin::HttpReply> Get(Node& node, const std::string& target, const std::string& token) {
    std::optional<Result<admin::HttpReply>> reply;
    std::thread client([&] {
      auto result = admin::AdminGet("127.0.0.1", node.admin_port(), target, token);
      env_->Post([&, result = std::move(result)]() mutable { reply.emplace(std::move(result)); });
    });
    RunUntil([&] { return reply.has_value(); });
    client.join();
    return std::move(*reply);
  }

  static events::Event Mail(std::string raw) {
    events::Event event;
    event.mutable_mail_received()->set_mail_id("m1");
    event.mutable_mail_received()->add_rcpt_to("alice@example.com");
    event.mutable_mail_received()->set_raw(std::move(raw));
    return event;
  }

  std::string dir_;
  config::Config config_;
  std::unique_ptr<LibeventEnv> env_;
  std::unique_ptr<Logger> logger_;
  std::vector<std::string> log_lines_;
};

TEST_F(NodeTest, ProposalsAreServedByTheAdminApiWithAuth) {
  auto node = Node::Start(config_, *env_, *logger_);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  events::Event routing;
  routing.mutable_routing_changed()->set_scope("all");
  routing.mutable_routing_changed()->set_mode(events::ROUTING_MODE_CONTINUITY);
  auto indices = ProposeAll(**node, {Mail(std::string(1234, 'x')), routing});
  EXPECT_EQ(indices, (std::vector<uint64_t>{1, 2}));

  const std::string token = (*node)->admin_token();
  EXPECT_EQ(token.size(), 64u);

  auto unauthorized = Get(**node, "/v1/status", "");
  ASSERT_TRUE(unauthorized.ok()) << unauthorized.status().ToString();
  EXPECT_EQ(unauthorized->status, 401);
  auto wrong = Get(**node, "/v1/log?from=1", std::string(64, '0'));
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->status, 401);
  auto health = Get(**node, "/healthz", "");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);

  auto log = Get(**node, "/v1/log?from=1&count=5", token);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->status, 200) << log->body;
  // Proto3 JSON renders uint64 as strings (protobuf JSON mapping).
  EXPECT_NE(log->body.find("\"index\":\"1\""), std::string::npos) << log->body;
  EXPECT_NE(log->body.find("\"mail_received\":{\"raw_bytes\":1234,"), std::string::npos);
  EXPECT_EQ(log->body.find("xxxx"), std::string::npos);
  EXPECT_NE(log->body.find("\"index\":\"2\""), std::string::npos);
  EXPECT_NE(log->body.find("\"node_id\":\"n1\""), std::string::npos);
  EXPECT_NE(log->body.find("ROUTING_MODE_CONTINUITY"), std::string::npos);

  auto bad_count = Get(**node, "/v1/log?from=1&count=0", token);
  ASSERT_TRUE(bad_count.ok());
  EXPECT_EQ(bad_count->status, 400);

  auto metrics = Get(**node, "/metrics", token);
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("lifeboat_events_appended_total 2\n"), std::string::npos);
  EXPECT_NE(metrics->body.find("lifeboat_log_last_index 2\n"), std::string::npos);

  RunUntil([&] { return (*node)->applied_index() == 2; });
  auto status = Get(**node, "/v1/status", token);
  ASSERT_TRUE(status.ok());
  EXPECT_NE(status->body.find("\"node_id\":\"n1\""), std::string::npos);
  EXPECT_NE(status->body.find("\"cluster_id\":\"acme\""), std::string::npos);
  EXPECT_NE(status->body.find("\"log_last_index\":2"), std::string::npos);
  EXPECT_NE(status->body.find("\"projection_applied_index\":2"), std::string::npos);
  EXPECT_NE(status->body.find("\"projection_lag\":0"), std::string::npos);
  EXPECT_NE(status->body.find("\"read_only\":false"), std::string::npos);

  ASSERT_TRUE((*node)->Shutdown().ok());
  EXPECT_NE(log_lines_.back().find("\"msg\":\"stopped\""), std::string::npos);
  EXPECT_NE(log_lines_.back().find("\"applied_index\":2"), std::string::npos);
}

TEST_F(NodeTest, AdminRequestsOverTheSizeLimitAreRejected) {
  auto node = Node::Start(config_, *env_, *logger_);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  // The token travels in a header: one larger than kAdminRequestBytesMax must never reach the
  // router (evhttp answers 400 or drops the connection).
  auto oversize = Get(**node, "/v1/status", std::string(admin::kAdminRequestBytesMax + 1, 'a'));
  if (oversize.ok()) {
    EXPECT_NE(oversize->status, 200);
    EXPECT_NE(oversize->status, 401);
  }
  auto health = Get(**node, "/healthz", "");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
}

TEST_F(NodeTest, ShutdownAnswersEveryQueuedProposal) {
  auto node = Node::Start(config_, *env_, *logger_);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  constexpr int kProposals = 50;
  int answered_ok = 0;
  for (int i = 0; i < kProposals; ++i) {
    (*node)->proposer().Propose(Mail("body"), [&](Result<uint64_t> index) {
      if (index.ok()) ++answered_ok;
    });
  }
  // The loop never ran: every callback must come from Shutdown's drain.
  ASSERT_TRUE((*node)->Shutdown().ok());
  EXPECT_EQ(answered_ok, kProposals);
  node->reset();

  // Restart: the records are there and the state caught up at shutdown.
  auto again = Node::Start(config_, *env_, *logger_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_NE(log_lines_.back().find("\"log_last_index\":50,\"applied_index\":50"), std::string::npos)
      << log_lines_.back();
}

// The routing projection is registered: a RoutingChanged folds into the routing table, and the
// table is restored from the state when the node starts again.
TEST_F(NodeTest, RoutingChangesFoldIntoTheRoutingTableAndSurviveARestart) {
  auto node = Node::Start(config_, *env_, *logger_);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ((*node)->routing_table().RouteFor("alice@example.com").mode,
            events::ROUTING_MODE_NORMAL);
  events::Event routing;
  routing.mutable_routing_changed()->set_scope("all");
  routing.mutable_routing_changed()->set_mode(events::ROUTING_MODE_CONTINUITY);
  routing.mutable_routing_changed()->set_previous_mode(events::ROUTING_MODE_NORMAL);
  routing.mutable_routing_changed()->set_reason("test");
  ProposeAll(**node, {routing});
  RunUntil([&] { return (*node)->applied_index() == 1; });
  auto route = (*node)->routing_table().RouteFor("alice@example.com");
  EXPECT_EQ(route.mode, events::ROUTING_MODE_CONTINUITY);
  EXPECT_FALSE(route.relay_to_primary);
  ASSERT_TRUE((*node)->Shutdown().ok());
  node->reset();

  auto again = Node::Start(config_, *env_, *logger_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->routing_table().RouteFor("alice@example.com").mode,
            events::ROUTING_MODE_CONTINUITY);
  EXPECT_EQ((*again)->routing_table().Scopes().at("all"), events::ROUTING_MODE_CONTINUITY);
}

TEST_F(NodeTest, RefusesAnotherClustersDataDir) {
  {
    auto node = Node::Start(config_, *env_, *logger_);
    ASSERT_TRUE(node.ok()) << node.status().ToString();
  }
  config_.node.cluster_id = "other";
  auto node = Node::Start(config_, *env_, *logger_);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(node.status().message(),
            "data dir " + dir_ +
                "/data belongs to cluster \"acme\", but the config says "
                "cluster_id \"other\": refusing to mix two clusters' logs (fix node.cluster_id or "
                "node.data_dir)");
}

TEST_F(NodeTest, RefusesANewerSchema) {
  ASSERT_TRUE(CreatePrivateDirectory(config_.node.data_dir).ok());
  {
    eventlog::LogStoreOptions options;
    options.path = config_.node.data_dir + "/log";
    auto log = eventlog::LogStore::Open(options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    ASSERT_TRUE(
        (*log)->PutMeta(kIdentityMetaName, "cluster_id=acme\nnode_id=n1\nschema_version=2\n").ok());
  }
  auto node = Node::Start(config_, *env_, *logger_);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(node.status().message().find("data dir schema 2 is newer than this lifeboat's 1"),
            std::string::npos)
      << node.status().message();
}

TEST_F(NodeTest, DataDirIsPrivate) {
  auto node = Node::Start(config_, *env_, *logger_);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  auto dir_mode = std::filesystem::status(config_.node.data_dir).permissions();
  EXPECT_EQ(dir_mode, std::filesystem::perms::owner_all);
  auto token_mode = std::filesystem::status(config_.node.data_dir + "/admin.token").permissions();
  EXPECT_EQ(token_mode, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace
}  // namespace lifeboat
