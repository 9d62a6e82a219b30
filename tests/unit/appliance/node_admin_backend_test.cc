// The node's admin backend over its real storage, on a manual Env: a read of the stores (a raw
// message of several MiB, a log page) runs off the loop, so the loop answers other requests while
// it waits, and its answer comes only once the workers have run; too many reads at once get 503.
#include "appliance/node_admin_backend.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "appliance/admin/admin_router.h"
#include "appliance/node_services.h"
#include "appliance/node_storage.h"
#include "eventlog/events.pb.h"
#include "simulator/manual_env.h"

namespace lifeboat {
namespace {

constexpr char kToken[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr size_t kLargeMessageBytes = 6u << 20;

class NodeAdminBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lifeboat-admin-backend-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    NodeStorageOptions options;
    options.data_dir = dir_ + "/data";
    options.identity = NodeIdentity{"acme", "n1", kDataDirSchemaVersion};
    options.accepted_domains = {"example.com"};
    options.projection_worker.linger = std::chrono::microseconds(0);  // no timer to advance
    options.projection_worker.nice = 0;
    auto storage = NodeStorage::Open(options, env_, logger_);
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    storage_ = std::move(storage).value();
    config_.node.id = "n1";
    config_.node.cluster_id = "acme";
    config_.node.data_dir = options.data_dir;
    auto services = NodeServices::Start(config_, env_, logger_, *storage_);
    ASSERT_TRUE(services.ok()) << services.status().ToString();
    services_ = std::move(services).value();
    backend_ = std::make_unique<NodeAdminBackend>(config_, env_, logger_, *storage_, *services_);
    router_ = std::make_unique<admin::AdminRouter>(*backend_, kToken);
  }

  void TearDown() override {
    router_.reset();
    backend_.reset();
    services_.reset();
    if (storage_) {
      EXPECT_TRUE(storage_->Shutdown([this] { env_.RunUntilIdle(); }).ok());
    }
    storage_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Proposes one mail of `raw` for mailbox user-1 with mail id `id`, and folds it.
  void DeliverMail(const std::string& id, const std::string& raw) {
    events::Event event;
    events::MailReceived* mail = event.mutable_mail_received();
    mail->set_mail_id(id);
    mail->set_mail_from("sender@example.net");
    mail->add_rcpt_to("user-1@example.com");
    mail->set_raw(raw);
    mail->set_source(events::MAIL_SOURCE_SMTP_INBOUND);
    mail->add_deliveries()->set_mailbox_id("user-1");
    bool committed = false;
    storage_->proposer().Propose(std::move(event), [&](Result<uint64_t> index) {
      ASSERT_TRUE(index.ok()) << index.status().ToString();
      committed = true;
    });
    env_.RunUntilIdle();
    ASSERT_TRUE(committed);
    ASSERT_EQ(storage_->applied_index(), storage_->commit_index());
  }

  admin::AdminRequest Get(std::string path, std::string query) {
    return admin::AdminRequest{"GET", std::move(path), std::move(query),
                               std::string("Bearer ") + kToken};
  }

  simulator::ManualEnv env_{1};
  Logger logger_{env_, LogLevel::kWarn, [](std::string_view) {}};
  std::string dir_;
  config::Config config_;
  std::unique_ptr<NodeStorage> storage_;
  std::unique_ptr<NodeServices> services_;
  std::unique_ptr<NodeAdminBackend> backend_;
  std::unique_ptr<admin::AdminRouter> router_;
};

TEST_F(NodeAdminBackendTest, ALargeRawMessageIsReadOffTheLoopWhileTheLoopAnswers) {
  std::string raw = "Subject: large\r\n\r\n";
  while (raw.size() < kLargeMessageBytes) raw += "a line of a large message body\r\n";
  DeliverMail("m1", raw);

  admin::AdminResponse response = router_->Handle(Get("/v1/message", "mailbox=user-1&id=m1&raw=1"));
  ASSERT_NE(response.later, nullptr) << "a raw message is read off the loop";
  std::optional<admin::AdminResponse> answer;
  response.later([&](admin::AdminResponse later) { answer = std::move(later); });
  EXPECT_EQ(env_.pending_work(), 1u) << "the read waits for a worker";

  // The loop goes on: status is answered at once, and running the loop alone answers nothing.
  admin::AdminResponse status = router_->Handle(Get("/v1/status", ""));
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.later, nullptr);
  env_.RunPosted();
  EXPECT_FALSE(answer.has_value()) << "answered before the read ran";

  // The worker reads; its result comes back to the loop, and only then is it answered.
  EXPECT_EQ(env_.RunWorkers(), 1u);
  EXPECT_FALSE(answer.has_value()) << "answered on the worker, not the loop";
  env_.RunPosted();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->content_type, "message/rfc822");
  EXPECT_EQ(answer->body, raw);
}

TEST_F(NodeAdminBackendTest, LogPagesAndErrorsComeBackFromTheWorker) {
  DeliverMail("m1", "Subject: small\r\n\r\nbody\r\n");
  std::optional<admin::AdminResponse> page;
  router_->Handle(Get("/v1/log", "from=1&count=5")).later([&](admin::AdminResponse later) {
    page = std::move(later);
  });
  std::optional<admin::AdminResponse> missing;
  router_->Handle(Get("/v1/message", "mailbox=user-1&id=nope"))
      .later([&](admin::AdminResponse later) { missing = std::move(later); });
  EXPECT_FALSE(page.has_value());
  env_.RunUntilIdle();
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->content_type, "application/x-ndjson");
  EXPECT_NE(page->body.find("\"mail_id\":\"m1\""), std::string::npos) << page->body;
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404) << missing->body;
}

TEST_F(NodeAdminBackendTest, ReadsBeyondTheQueueBoundAreRefusedAtOnce) {
  DeliverMail("m1", "Subject: small\r\n\r\nbody\r\n");
  size_t answered_ok = 0;
  for (size_t i = 0; i < kAdminReadsQueuedMax; ++i) {
    router_->Handle(Get("/v1/message", "mailbox=user-1&id=m1"))
        .later([&](admin::AdminResponse later) { answered_ok += later.status == 200 ? 1 : 0; });
  }
  std::optional<admin::AdminResponse> refused;
  router_->Handle(Get("/v1/message", "mailbox=user-1&id=m1"))
      .later([&](admin::AdminResponse later) { refused = std::move(later); });
  ASSERT_TRUE(refused.has_value()) << "refused without waiting for a worker";
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(answered_ok, 0u);
  env_.RunUntilIdle();
  EXPECT_EQ(answered_ok, kAdminReadsQueuedMax);
}

TEST_F(NodeAdminBackendTest, AReadAfterStopIsUnavailable) {
  backend_->Stop();
  std::optional<admin::AdminResponse> answer;
  router_->Handle(Get("/v1/mailboxes", "")).later([&](admin::AdminResponse later) {
    answer = std::move(later);
  });
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 503);
}

}  // namespace
}  // namespace lifeboat
