// The admin HTTP driver on a real libevent loop and a loopback socket: a status request that
// waits for the projections is held, answered when its index is applied or when its bound
// passes, forgotten when the client hangs up or the server stops. A read the backend answers
// later (off the loop) is held while other requests are served, and sent when it comes.

#include "appliance/admin/admin_server.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "appliance/admin/admin_client.h"
#include "tests/unit/appliance/fake_admin_backend.h"

namespace lifeboat::admin {
namespace {

using testing::FakeBackend;

// Holds each raw-message read until the test answers it, as the node's backend does while a
// worker reads.
class DeferringBackend : public FakeBackend {
 public:
  void RawMessage(std::string, std::string, ReadDone done) override {
    held.push_back(std::move(done));
  }
  std::vector<ReadDone> held;
};

constexpr char kToken[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::chrono::milliseconds kLoopWaitBound{5000};
constexpr timeval kLoopTick{0, 5000};  // the loop wakes this often to look at the condition

// A blocking admin GET on a thread of its own, since the loop under test runs on this one.
class Client {
 public:
  Client(uint16_t port, std::string target)
      : thread_([this, port, target = std::move(target)] {
          reply_ = AdminGet("127.0.0.1", port, target, kToken);
          done_ = true;
        }) {}
  ~Client() { thread_.join(); }
  bool done() const { return done_; }
  const Result<HttpReply>& reply() const { return *reply_; }

 private:
  std::optional<Result<HttpReply>> reply_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);  // as `lifeboat serve` does: a client that left is an EPIPE
    auto env = LibeventEnv::Create();
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    env_ = std::move(env).value();
    base_ = env_->base();
    tick_ = event_new(
        base_, -1, EV_PERSIST, [](evutil_socket_t, short, void*) {}, nullptr);
    event_add(tick_, &kLoopTick);
    router_ = std::make_unique<AdminRouter>(backend_, kToken);
    auto server = AdminServer::Start(*env_, "127.0.0.1", 0, *router_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  void TearDown() override {
    server_.reset();
    event_free(tick_);
    env_.reset();  // frees the base
  }

  // Runs the loop until `condition` holds; false if kLoopWaitBound passes first.
  bool RunLoopUntil(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + kLoopWaitBound;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      event_base_loop(base_, EVLOOP_ONCE);
    }
    return true;
  }

  DeferringBackend backend_;
  std::unique_ptr<LibeventEnv> env_;
  event_base* base_ = nullptr;
  event* tick_ = nullptr;
  std::unique_ptr<AdminRouter> router_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, WaitingStatusIsAnsweredOnceTheIndexIsApplied) {
  backend_.commit_index = 5;
  backend_.applied_index = 3;
  Client client(server_->port(), "/v1/status?wait_applied=last");
  ASSERT_TRUE(RunLoopUntil([&] { return server_->waiting_requests() == 1; }));
  server_->NotifyApplied(4);  // not yet
  EXPECT_EQ(server_->waiting_requests(), 1u);
  EXPECT_FALSE(client.done());

  backend_.applied_index = 5;
  server_->NotifyApplied(5);
  EXPECT_EQ(server_->waiting_requests(), 0u);
  ASSERT_TRUE(RunLoopUntil([&] { return client.done(); }));
  ASSERT_TRUE(client.reply().ok()) << client.reply().status().ToString();
  EXPECT_EQ(client.reply()->status, 200);
  EXPECT_NE(client.reply()->body.find("\"node_id\":\"n1\""), std::string::npos);
}

TEST_F(AdminServerTest, WaitingStatusGets503WhenItsBoundPasses) {
  backend_.applied_index = 3;
  const auto start = std::chrono::steady_clock::now();
  Client client(server_->port(), "/v1/status?wait_applied=9&wait_ms=100");
  ASSERT_TRUE(RunLoopUntil([&] { return client.done(); }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  ASSERT_TRUE(client.reply().ok()) << client.reply().status().ToString();
  EXPECT_EQ(client.reply()->status, 503);
  EXPECT_NE(client.reply()->body.find("applied index 3 of 9 within 100 ms"), std::string::npos)
      << client.reply()->body;
  EXPECT_EQ(server_->waiting_requests(), 0u);
}

TEST_F(AdminServerTest, ClientThatHangsUpIsForgotten) {
  backend_.applied_index = 1;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server_->port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const std::string request = std::string("GET /v1/status?wait_applied=9 HTTP/1.0\r\n") +
                              "Authorization: Bearer " + kToken + "\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  ASSERT_TRUE(RunLoopUntil([&] { return server_->waiting_requests() == 1; }));
  ::close(fd);
  // Long before its 8 s bound: the close is seen and the request answered into the void.
  EXPECT_TRUE(RunLoopUntil([&] { return server_->waiting_requests() == 0; }));
  server_->NotifyApplied(9);  // nothing left to answer, nothing touched
}

TEST_F(AdminServerTest, StopDropsWaitingRequests) {
  Client client(server_->port(), "/v1/status?wait_applied=9");
  ASSERT_TRUE(RunLoopUntil([&] { return server_->waiting_requests() == 1; }));
  server_->Stop();
  EXPECT_EQ(server_->waiting_requests(), 0u);
  ASSERT_TRUE(RunLoopUntil([&] { return client.done(); }));
  EXPECT_FALSE(client.reply().ok() && client.reply()->status == 200);
}

TEST_F(AdminServerTest, WaitingRequestsAreBounded) {
  std::vector<std::unique_ptr<Client>> clients;
  for (size_t i = 0; i < kAdminWaitingRequestsMax; ++i) {
    clients.push_back(std::make_unique<Client>(server_->port(), "/v1/status?wait_applied=9"));
  }
  ASSERT_TRUE(
      RunLoopUntil([&] { return server_->waiting_requests() == kAdminWaitingRequestsMax; }));
  Client one_more(server_->port(), "/v1/status?wait_applied=9");
  ASSERT_TRUE(RunLoopUntil([&] { return one_more.done(); }));
  ASSERT_TRUE(one_more.reply().ok()) << one_more.reply().status().ToString();
  EXPECT_EQ(one_more.reply()->status, 503);
  EXPECT_NE(one_more.reply()->body.find("too many"), std::string::npos);
  backend_.applied_index = 9;
  server_->NotifyApplied(9);
  ASSERT_TRUE(RunLoopUntil([&] {
    for (const auto& client : clients) {
      if (!client->done()) return false;
    }
    return true;
  }));
  for (const auto& client : clients) EXPECT_EQ(client->reply()->status, 200);
}

TEST_F(AdminServerTest, AReadAnsweredLaterIsSentWhileOtherRequestsAreServed) {
  Client read(server_->port(), "/v1/message?mailbox=u1&id=m1&raw=1");
  ASSERT_TRUE(RunLoopUntil([&] { return server_->reading_requests() == 1; }));
  ASSERT_EQ(backend_.held.size(), 1u);
  Client health(server_->port(), "/healthz");
  ASSERT_TRUE(RunLoopUntil([&] { return health.done(); }));
  ASSERT_TRUE(health.reply().ok()) << health.reply().status().ToString();
  EXPECT_EQ(health.reply()->status, 200);
  EXPECT_FALSE(read.done());

  backend_.held[0](std::string("Subject: later\r\n\r\nbody\r\n"));
  EXPECT_EQ(server_->reading_requests(), 0u);
  ASSERT_TRUE(RunLoopUntil([&] { return read.done(); }));
  ASSERT_TRUE(read.reply().ok()) << read.reply().status().ToString();
  EXPECT_EQ(read.reply()->status, 200);
  EXPECT_EQ(read.reply()->body, "Subject: later\r\n\r\nbody\r\n");
}

TEST_F(AdminServerTest, AReadAnsweredAfterStopOrDestructionIsDropped) {
  Client first(server_->port(), "/v1/message?mailbox=u1&id=m1&raw=1");
  Client second(server_->port(), "/v1/message?mailbox=u1&id=m2&raw=1");
  ASSERT_TRUE(RunLoopUntil([&] { return server_->reading_requests() == 2; }));
  server_->Stop();
  EXPECT_EQ(server_->reading_requests(), 0u);
  backend_.held[0](std::string("too late"));  // nothing to answer, nothing touched
  server_.reset();
  backend_.held[1](std::string("later still"));  // the server is gone
  ASSERT_TRUE(RunLoopUntil([&] { return first.done() && second.done(); }));
  EXPECT_FALSE(first.reply().ok() && first.reply()->status == 200);
  EXPECT_FALSE(second.reply().ok() && second.reply()->status == 200);
}

}  // namespace
}  // namespace lifeboat::admin
