// StreamConnection over a real loopback TCP connection and a real event loop, on both of its
// paths: the plain socket path (epoll: edge-triggered) and the bufferevent path (poll: no edges).
// Each test is a timeline: the peer acts, the loop runs until a bounded condition, then the
// connection's state is checked.
#include "appliance/net/stream_connection.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "appliance/net/tls_context.h"
#include "appliance/tls/self_signed_certificate.h"
#include "simulator/manual_env.h"

namespace lifeboat::net {
namespace {

constexpr auto kWaitMax = std::chrono::seconds(20);
constexpr timeval kTick = {0, 5000};

// A connected loopback TCP pair: `server` is what a listener would accept.
struct SocketPair {
  int server = -1;
  int client = -1;
};

// `tight_buffers`: small socket buffers on both ends, so that a few hundred KiB fill them.
SocketPair ConnectedPair(bool tight_buffers = false) {
  constexpr int kTightBufferBytes = 4096;
  SocketPair pair;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  EXPECT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), length), 0);
  EXPECT_EQ(listen(listener, 1), 0);
  EXPECT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  pair.client = socket(AF_INET, SOCK_STREAM, 0);
  if (tight_buffers) {
    setsockopt(pair.client, SOL_SOCKET, SO_RCVBUF, &kTightBufferBytes, sizeof kTightBufferBytes);
  }
  // A peer that hangs must fail the test, not block it for ever.
  timeval receive_timeout = {20, 0};
  setsockopt(pair.client, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof receive_timeout);
  EXPECT_EQ(connect(pair.client, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  pair.server = accept(listener, nullptr, nullptr);
  EXPECT_GE(pair.server, 0);
  if (tight_buffers) {
    setsockopt(pair.server, SOL_SOCKET, SO_SNDBUF, &kTightBufferBytes, sizeof kTightBufferBytes);
  }
  close(listener);
  return pair;
}

void MakeNonBlocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int BytesWaitingIn(int fd) {
  int bytes = 0;
  ioctl(fd, FIONREAD, &bytes);
  return bytes;
}

std::string Pattern(size_t bytes) {
  std::string text(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) text[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return text;
}

// Reads what the (non-blocking) client socket holds; false at the end of stream.
bool ReadAvailable(int fd, std::string& into) {
  char buffer[65536];
  while (true) {
    ssize_t got = recv(fd, buffer, sizeof buffer, 0);
    if (got > 0) {
      into.append(buffer, static_cast<size_t>(got));
    } else if (got == 0) {
      return false;
    } else {
      return true;  // EAGAIN
    }
  }
}

class Recorder : public StreamConnection::Handler {
 public:
  void OnBytes(std::string_view bytes) override {
    if (closed.has_value()) bytes_after_close = true;
    received.append(bytes);
    ++deliveries;
    if (on_bytes) on_bytes(bytes);
  }
  void OnTlsEstablished(const TlsSessionFacts& facts) override {
    tls_version = facts.version;
    if (on_tls) on_tls();
  }
  void OnOutputDrained() override { drained_with_pending.push_back(pending ? pending() : 0); }
  void OnClosed(std::string_view reason) override {
    if (closed.has_value()) closed_twice = true;
    closed = std::string(reason);
  }

  std::string received;
  int deliveries = 0;
  std::optional<std::string> closed;
  bool closed_twice = false;
  bool bytes_after_close = false;
  std::string tls_version;
  std::function<void(std::string_view)> on_bytes;
  std::function<void()> on_tls;
  // What pending_output_bytes() said at each OnOutputDrained.
  std::function<size_t()> pending;
  std::vector<size_t> drained_with_pending;
};

// "epoll" exercises the plain socket path, "poll" the bufferevent path.
class StreamConnectionTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);  // as `lifeboat serve` does: a peer that left is an EPIPE
    event_config* config = event_config_new();
    event_config_avoid_method(config, std::string(GetParam()) == "epoll" ? "poll" : "epoll");
    event_config_avoid_method(config, "select");
    base_ = event_base_new_with_config(config);
    event_config_free(config);
    ASSERT_NE(base_, nullptr);
    ASSERT_STREQ(event_base_get_method(base_), GetParam());
    // Wakes the loop now and then so RunUntil re-checks conditions that are not loop events.
    tick_ = event_new(
        base_, -1, EV_PERSIST, [](int, short, void*) {}, nullptr);
    event_add(tick_, &kTick);
  }
  void TearDown() override {
    connection_.reset();
    if (client_ >= 0) close(client_);
    event_free(tick_);
    event_base_free(base_);
  }
  bool plain() const { return std::string(GetParam()) == "epoll"; }

  void Adopt(SocketPair pair) {
    client_ = pair.client;
    server_fd_ = pair.server;
    auto adopted = StreamConnection::Adopt(base_, pair.server, "127.0.0.1:1");
    ASSERT_TRUE(adopted.ok()) << adopted.status().ToString();
    connection_ = std::move(adopted).value();
    connection_->Start(&recorder_);
  }

  // Runs the loop until `done` holds; false if that took longer than kWaitMax.
  bool RunUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kWaitMax;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      Turn();
    }
    return true;
  }
  void RunTicks(int ticks) {
    for (int i = 0; i < ticks; ++i) Turn();
  }
  // One turn of the loop; then, as an owner does, destroys a connection that reported OnClosed.
  void Turn() {
    event_base_loop(base_, EVLOOP_ONCE);
    if (recorder_.closed.has_value()) connection_.reset();
  }
  void ClientSend(std::string_view bytes) {
    ASSERT_EQ(send(client_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  event_base* base_ = nullptr;
  event* tick_ = nullptr;
  int client_ = -1;
  int server_fd_ = -1;  // owned by connection_
  Recorder recorder_;
  std::unique_ptr<StreamConnection> connection_;
};

TEST_P(StreamConnectionTest, DeliversBytesInOrderIncludingThoseSentBeforeAdoption) {
  SocketPair pair = ConnectedPair();
  const std::string early = "EHLO early.example\r\n";
  ASSERT_EQ(send(pair.client, early.data(), early.size(), 0), static_cast<ssize_t>(early.size()));
  Adopt(pair);
  ASSERT_TRUE(RunUntil([&] { return recorder_.received == early; }));

  // Far more than one read and one turn of reads: the client pushes as the server takes.
  const std::string bulk = Pattern(3 * 1024 * 1024);
  MakeNonBlocking(client_);
  size_t pushed = 0;
  ASSERT_TRUE(RunUntil([&] {
    while (pushed < bulk.size()) {
      ssize_t sent = send(client_, bulk.data() + pushed, bulk.size() - pushed, MSG_NOSIGNAL);
      if (sent <= 0) break;
      pushed += static_cast<size_t>(sent);
    }
    return recorder_.received.size() == early.size() + bulk.size();
  }));
  EXPECT_TRUE(recorder_.received == early + bulk);
  EXPECT_FALSE(recorder_.closed.has_value());
}

TEST_P(StreamConnectionTest, RepliesQueuedWhileHandlingInputLeaveWhenTheHandlerReturns) {
  Adopt(ConnectedPair());
  size_t pending_inside = 0;
  recorder_.on_bytes = [&](std::string_view) {
    connection_->Write("250 first\r\n");
    connection_->Write("250 second\r\n");
    pending_inside = connection_->pending_output_bytes();
  };
  ClientSend("NOOP\r\nNOOP\r\n");
  ASSERT_TRUE(RunUntil([&] { return recorder_.deliveries > 0; }));
  EXPECT_EQ(pending_inside, 23u);  // queued, not sent from inside the handler
  MakeNonBlocking(client_);
  std::string replies;
  ASSERT_TRUE(RunUntil([&] {
    ReadAvailable(client_, replies);
    return replies == "250 first\r\n250 second\r\n";
  }));
  EXPECT_EQ(connection_->pending_output_bytes(), 0u);
}

TEST_P(StreamConnectionTest, WriteOutsideAHandlerCallLeavesBeforeTheLoopPollsAgain) {
  Adopt(ConnectedPair());
  RunTicks(2);  // the connection settles (its first writable edge is spent)
  connection_->Write("250 2.0.0 Ok: queued\r\n");
  EXPECT_EQ(connection_->pending_output_bytes(), 22u);
  if (plain()) {
    // One non-blocking turn of the loop, as for a reply posted from the commit thread.
    event_base_loop(base_, EVLOOP_NONBLOCK);
    EXPECT_EQ(connection_->pending_output_bytes(), 0u);
  }
  MakeNonBlocking(client_);
  std::string replies;
  ASSERT_TRUE(RunUntil([&] {
    ReadAvailable(client_, replies);
    return replies == "250 2.0.0 Ok: queued\r\n";
  }));
}

TEST_P(StreamConnectionTest, PausedConnectionDeliversWhatArrivedOnceResumed) {
  Adopt(ConnectedPair());
  recorder_.on_bytes = [&](std::string_view) { connection_->PauseReading(); };
  ClientSend("DATA-END\r\n");
  ASSERT_TRUE(RunUntil([&] { return recorder_.received == "DATA-END\r\n"; }));

  // While paused the bytes stay in the socket (TCP backpressure) and are not delivered.
  ClientSend("QUIT\r\n");
  ASSERT_TRUE(RunUntil([&] { return BytesWaitingIn(server_fd_) == 6; }));
  RunTicks(3);
  EXPECT_EQ(recorder_.received, "DATA-END\r\n");

  // Resuming delivers them without the peer sending anything more.
  recorder_.on_bytes = nullptr;
  connection_->ResumeReading();
  ASSERT_TRUE(RunUntil([&] { return recorder_.received == "DATA-END\r\nQUIT\r\n"; }));
}

TEST_P(StreamConnectionTest, PauseAndResumeInsideTheHandlerKeepsDelivering) {
  Adopt(ConnectedPair());
  bool inside = false;
  bool nested = false;
  recorder_.on_bytes = [&](std::string_view) {
    nested = nested || inside;
    inside = true;
    connection_->PauseReading();
    connection_->ResumeReading();
    inside = false;
  };
  ClientSend("RSET\r\n");
  ASSERT_TRUE(RunUntil([&] { return recorder_.received == "RSET\r\n"; }));
  ClientSend("NOOP\r\n");
  ASSERT_TRUE(RunUntil([&] { return recorder_.received == "RSET\r\nNOOP\r\n"; }));
  EXPECT_FALSE(nested);
}

TEST_P(StreamConnectionTest, WriteThatWouldBlockIsCompletedWhenThePeerReads) {
  Adopt(ConnectedPair(/*tight_buffers=*/true));
  const std::string big = Pattern(1024 * 1024);
  connection_->Write(big);
  RunTicks(3);
  // The peer reads nothing yet: the socket buffers are full and the rest waits here.
  EXPECT_GT(connection_->pending_output_bytes(), 0u);
  MakeNonBlocking(client_);
  std::string got;
  ASSERT_TRUE(RunUntil([&] {
    ReadAvailable(client_, got);
    return got.size() == big.size();
  }));
  EXPECT_TRUE(got == big);
  EXPECT_EQ(connection_->pending_output_bytes(), 0u);
  EXPECT_FALSE(recorder_.closed.has_value());
}

TEST_P(StreamConnectionTest, OutputDrainedComesWhenAWriteThatHadToWaitHasLeft) {
  Adopt(ConnectedPair(/*tight_buffers=*/true));
  recorder_.pending = [&] { return connection_->pending_output_bytes(); };
  const std::string big = Pattern(1024 * 1024);
  connection_->Write(big);
  RunTicks(3);
  // The peer reads nothing: the queue stays, and no drain is reported while it does.
  ASSERT_GT(connection_->pending_output_bytes(), 0u);
  EXPECT_TRUE(recorder_.drained_with_pending.empty());
  MakeNonBlocking(client_);
  std::string got;
  ASSERT_TRUE(RunUntil([&] {
    ReadAvailable(client_, got);
    return got.size() == big.size() && !recorder_.drained_with_pending.empty();
  }));
  EXPECT_TRUE(got == big);
  for (size_t pending : recorder_.drained_with_pending) EXPECT_EQ(pending, 0u);
}

TEST_P(StreamConnectionTest, CloseAfterFlushSendsEverythingThenCloses) {
  Adopt(ConnectedPair(/*tight_buffers=*/true));
  const std::string big = Pattern(2 * 1024 * 1024);
  connection_->Write(big);
  connection_->CloseAfterFlush();
  RunTicks(3);
  EXPECT_FALSE(recorder_.closed.has_value());  // still flushing to a peer that does not read
  MakeNonBlocking(client_);
  std::string got;
  bool open = true;
  ASSERT_TRUE(RunUntil([&] {
    open = ReadAvailable(client_, got);
    return !open;
  }));
  EXPECT_TRUE(got == big);
  ASSERT_TRUE(RunUntil([&] { return recorder_.closed.has_value(); }));
  EXPECT_EQ(*recorder_.closed, "closed by server");
  EXPECT_FALSE(recorder_.closed_twice);
}

// Ten seconds of waiting: once is enough, on the plain path (the bufferevent path arms the same
// timer through the same function), so this suite runs on epoll only.
class PlainCloseDeadlineTest : public StreamConnectionTest {};

TEST_P(PlainCloseDeadlineTest, CloseAfterFlushGivesUpOnAPeerThatNeverReads) {
  ASSERT_TRUE(plain());
  Adopt(ConnectedPair(/*tight_buffers=*/true));
  connection_->Write(Pattern(2 * 1024 * 1024));
  const auto started = std::chrono::steady_clock::now();
  connection_->CloseAfterFlush();
  ASSERT_TRUE(RunUntil([&] { return recorder_.closed.has_value(); }));
  EXPECT_EQ(*recorder_.closed, "closed by server (peer did not read the last reply)");
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::seconds(9));
}

TEST_P(StreamConnectionTest, CloseAfterFlushWithNothingQueuedClosesAtOnce) {
  Adopt(ConnectedPair());
  connection_->CloseAfterFlush();
  ASSERT_TRUE(recorder_.closed.has_value());
  EXPECT_EQ(*recorder_.closed, "closed by server");
}

TEST_P(StreamConnectionTest, BytesAfterCloseRequestedAreNotDelivered) {
  Adopt(ConnectedPair());
  recorder_.on_bytes = [&](std::string_view) {
    connection_->Write("221 Bye\r\n");
    connection_->CloseAfterFlush();
  };
  ClientSend("QUIT\r\n");
  ASSERT_TRUE(RunUntil([&] { return recorder_.closed.has_value(); }));
  ClientSend("NOOP\r\n");
  RunTicks(3);
  EXPECT_EQ(recorder_.received, "QUIT\r\n");
  EXPECT_FALSE(recorder_.bytes_after_close);
  MakeNonBlocking(client_);
  std::string got;
  ASSERT_TRUE(RunUntil([&] { return !ReadAvailable(client_, got); }));
  EXPECT_EQ(got, "221 Bye\r\n");
}

TEST_P(StreamConnectionTest, PeerThatClosesAfterSendingIsReportedAfterItsBytes) {
  Adopt(ConnectedPair());
  ClientSend("QUIT\r\n");
  shutdown(client_, SHUT_WR);
  ASSERT_TRUE(RunUntil([&] { return recorder_.closed.has_value(); }));
  EXPECT_EQ(recorder_.received, "QUIT\r\n");
  EXPECT_EQ(*recorder_.closed, "peer closed");
  EXPECT_FALSE(recorder_.bytes_after_close);
}

TEST_P(StreamConnectionTest, PeerThatClosesWhilePausedIsReportedOnceResumed) {
  Adopt(ConnectedPair());
  recorder_.on_bytes = [&](std::string_view) { connection_->PauseReading(); };
  ClientSend("DATA-END\r\n");
  ASSERT_TRUE(RunUntil([&] { return recorder_.deliveries == 1; }));
  ClientSend("QUIT\r\n");
  shutdown(client_, SHUT_WR);
  RunTicks(3);
  EXPECT_FALSE(recorder_.closed.has_value());
  recorder_.on_bytes = nullptr;
  connection_->ResumeReading();
  ASSERT_TRUE(RunUntil([&] { return recorder_.closed.has_value(); }));
  EXPECT_EQ(recorder_.received, "DATA-END\r\nQUIT\r\n");
  EXPECT_EQ(*recorder_.closed, "peer closed");
}

TEST_P(StreamConnectionTest, PeerResetIsASocketError) {
  Adopt(ConnectedPair());
  linger abort_on_close{1, 0};
  setsockopt(client_, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  close(client_);
  client_ = -1;
  ASSERT_TRUE(RunUntil([&] { return recorder_.closed.has_value(); }));
  EXPECT_EQ(*recorder_.closed, "socket error: Connection reset by peer");
}

// STARTTLS (RFC 3207): the reply leaves in plaintext, the handshake follows, and plaintext the
// peer pushed behind the command (CVE-2011-0411) never reaches the handler.
class StartTlsTest : public StreamConnectionTest {
 protected:
  void SetUp() override {
    StreamConnectionTest::SetUp();
    char pattern[] = "/tmp/lifeboat-stream-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    simulator::ManualEnv env(7);
    TlsFiles files{dir_ + "/cert.pem", dir_ + "/key.pem"};
    ASSERT_TRUE(
        tls::WriteSelfSignedCertificate(env, files.certificate_chain_path, files.private_key_path)
            .ok());
    auto context = ServerTlsContext::Load(files);
    ASSERT_TRUE(context.ok()) << context.status().ToString();
    tls_ = std::move(context).value();
  }
  void TearDown() override {
    StreamConnectionTest::TearDown();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<ServerTlsContext> tls_;
};

TEST_P(StartTlsTest, PlaintextBehindStartTlsIsDiscardedAndTlsCarriesTheSession) {
  Adopt(ConnectedPair());
  recorder_.on_bytes = [&](std::string_view) { connection_->PauseReading(); };
  ClientSend("STARTTLS\r\n");
  ASSERT_TRUE(RunUntil([&] { return recorder_.received == "STARTTLS\r\n"; }));
  // An attacker's command, already in the server's socket when TLS starts.
  ClientSend("MAIL FROM:<injected@example.test>\r\n");
  ASSERT_TRUE(RunUntil([&] { return BytesWaitingIn(server_fd_) == 35; }));

  connection_->Write("220 2.0.0 Ready to start TLS\r\n");
  ASSERT_TRUE(connection_->StartTls(*tls_).ok());
  bool tls_when_established = false;
  recorder_.on_tls = [&] {
    tls_when_established = connection_->tls();
    connection_->ResumeReading();
  };
  recorder_.on_bytes = [&](std::string_view) {
    connection_->Write("250 2.0.0 Ok\r\n");
    // As the SMTP driver does after every command: the state of reading is restated.
    connection_->PauseReading();
    connection_->ResumeReading();
  };

  // The client: reads the 220 in plaintext, then talks TLS (blocking, on its own thread).
  std::atomic<bool> client_done = false;
  std::string ready, answer, client_error;
  std::thread client([&] {
    char byte;
    while (ready.size() < 2 || ready.compare(ready.size() - 2, 2, "\r\n") != 0) {
      if (recv(client_, &byte, 1, 0) != 1) break;
      ready.push_back(byte);
    }
    SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = SSL_new(client_ctx);
    SSL_set_fd(ssl, client_);
    if (SSL_connect(ssl) == 1) {
      SSL_write(ssl, "NOOP\r\n", 6);
      char buffer[256];
      int got = SSL_read(ssl, buffer, sizeof buffer);
      if (got > 0) answer.assign(buffer, static_cast<size_t>(got));
    } else {
      client_error = "SSL_connect failed";
    }
    SSL_free(ssl);
    SSL_CTX_free(client_ctx);
    client_done = true;
  });
  bool finished = RunUntil([&] { return client_done.load(); });
  client.join();
  ASSERT_TRUE(finished);
  EXPECT_EQ(ready, "220 2.0.0 Ready to start TLS\r\n");
  if (!plain()) {
    // The bufferevent path drops only what it has read; the injected bytes still in the socket
    // reach the handshake, which fails on them. Never read as SMTP either way.
    EXPECT_NE(client_error, "");
    ASSERT_TRUE(RunUntil([&] { return recorder_.closed.has_value(); }));
    EXPECT_EQ(recorder_.closed->rfind("TLS handshake failed", 0), 0u) << *recorder_.closed;
    EXPECT_EQ(recorder_.received, "STARTTLS\r\n");
    return;
  }
  // The plain path empties the socket before the 220 leaves: the handshake then succeeds.
  EXPECT_EQ(client_error, "");
  EXPECT_TRUE(tls_when_established);
  EXPECT_FALSE(recorder_.tls_version.empty());
  EXPECT_EQ(answer, "250 2.0.0 Ok\r\n");
  EXPECT_EQ(recorder_.received, "STARTTLS\r\nNOOP\r\n");
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamConnectionTest, ::testing::Values("epoll", "poll"),
                         [](const auto& info) { return std::string(info.param); });
INSTANTIATE_TEST_SUITE_P(Backends, PlainCloseDeadlineTest, ::testing::Values("epoll"),
                         [](const auto& info) { return std::string(info.param); });
INSTANTIATE_TEST_SUITE_P(Backends, StartTlsTest, ::testing::Values("epoll", "poll"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace lifeboat::net
