// MX resolution against a real DNS server (issue #11 "Outbound"): dnsmasq on a free loopback
// port serves MX, A and AAAA records for test domains; MxLookup over the UDP resolver must order
// the exchanges by preference, fall back to the domain's own address without MX (RFC 5321
// section 5.1), refuse a null MX (RFC 7505) and a domain that does not exist, and report a
// nameserver that does not answer as a temporary failure within its bound, never blocking the
// loop. dnsmasq is started and stopped by PID.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "appliance/env/libevent_env.h"
#include "appliance/mx_lookup.h"
#include "appliance/net/udp_dns_resolver.h"

namespace lifeboat {
namespace {

constexpr const char* kDnsmasq = "/usr/sbin/dnsmasq";
constexpr Duration kWaitMax = std::chrono::seconds(30);
constexpr Duration kRecheckInterval = std::chrono::milliseconds(10);
constexpr Duration kTestAttemptTimeout = std::chrono::milliseconds(300);

// A loopback UDP port nothing is bound to right now.
uint16_t FreeUdpPort() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);
  return ntohs(address.sin_port);
}

class MxLookupDnsmasqTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kDnsmasq, X_OK) != 0) GTEST_SKIP() << kDnsmasq << " missing: image/deps test";
    auto env = LibeventEnv::Create();
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    env_ = std::move(env).value();
    port_ = FreeUdpPort();
    StartDnsmasq();
    auto resolver = UdpDnsResolver::Create(
        env_->base(), *env_, "127.0.0.1:" + std::to_string(port_), kTestAttemptTimeout);
    ASSERT_TRUE(resolver.ok()) << resolver.status().ToString();
    resolver_ = std::move(resolver).value();
    // Ready once it answers; each try is bounded by the resolver's attempts.
    const MonoTime deadline = env_->MonotonicNow() + kWaitMax;
    bool ready = false;
    while (!ready && env_->MonotonicNow() < deadline) {
      ready = Lookup("example.test").verdict == delivery::MxVerdict::kRoutes;
    }
    ASSERT_TRUE(ready) << "dnsmasq on port " << port_ << " never answered";
  }

  void TearDown() override {
    if (dnsmasq_pid_ > 0) {
      kill(dnsmasq_pid_, SIGTERM);
      int status = 0;
      waitpid(dnsmasq_pid_, &status, 0);
    }
  }

  void StartDnsmasq() {
    std::vector<std::string> args = {
        kDnsmasq, "--no-daemon", "--port=" + std::to_string(port_), "--listen-address=127.0.0.1",
        "--bind-interfaces", "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--pid-file=",
        // Names under .test that are not listed get NXDOMAIN, not "no upstream" errors.
        "--local=/test/", "--mx-host=example.test,mx1.example.test,10",
        "--mx-host=example.test,mx2.example.test,5", "--host-record=mx1.example.test,127.0.0.11",
        "--host-record=mx2.example.test,127.0.0.12,::1",
        "--host-record=plain.test,127.0.0.13",  // no MX: the implicit MX
        "--mx-host=nullmx.test,.,0",            // RFC 7505
        "--mx-host=noaddress.test,mx.noaddress.test,10"};
    dnsmasq_pid_ = fork();
    ASSERT_GE(dnsmasq_pid_, 0);
    if (dnsmasq_pid_ == 0) {
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(kDnsmasq, argv.data());
      _exit(127);
    }
  }

  // One lookup, run on the loop; the loop keeps turning (timers fire) while it waits.
  delivery::MxResolution Lookup(const std::string& domain, Resolver* resolver = nullptr) {
    std::optional<delivery::MxResolution> result;
    MxLookup lookup(*env_, resolver != nullptr ? *resolver : *resolver_, domain,
                    [&](delivery::MxResolution resolution) { result = std::move(resolution); });
    lookup.Start();
    bool finished = false;
    const MonoTime deadline = env_->MonotonicNow() + kWaitMax;
    std::function<void()> check = [&] {
      if (result.has_value()) {
        finished = true;
        env_->Stop();
      } else if (env_->MonotonicNow() > deadline) {
        env_->Stop();
      } else {
        env_->StartTimer(kRecheckInterval, check);
      }
    };
    env_->StartTimer(Duration::zero(), check);
    EXPECT_TRUE(env_->Run().ok());
    EXPECT_TRUE(finished);
    return result.value_or(delivery::MxResolution{});
  }

  std::unique_ptr<LibeventEnv> env_;
  std::unique_ptr<UdpDnsResolver> resolver_;
  uint16_t port_ = 0;
  pid_t dnsmasq_pid_ = -1;
};

TEST_F(MxLookupDnsmasqTest, ExchangesInPreferenceOrderWithTheirAddresses) {
  delivery::MxResolution resolution = Lookup("Example.TEST");
  ASSERT_EQ(resolution.verdict, delivery::MxVerdict::kRoutes) << resolution.detail;
  ASSERT_EQ(resolution.routes.size(), 3u);
  // mx2 (preference 5) first, IPv4 before IPv6; then mx1 (preference 10).
  EXPECT_EQ(resolution.routes[0].exchange, "mx2.example.test");
  EXPECT_EQ(resolution.routes[0].preference, 5);
  EXPECT_EQ(resolution.routes[0].address, "127.0.0.12:25");
  EXPECT_EQ(resolution.routes[1].address, "[::1]:25");
  EXPECT_EQ(resolution.routes[2].exchange, "mx1.example.test");
  EXPECT_EQ(resolution.routes[2].address, "127.0.0.11:25");
}

TEST_F(MxLookupDnsmasqTest, NoMxFallsBackToTheDomainsAddress) {
  delivery::MxResolution resolution = Lookup("plain.test");
  ASSERT_EQ(resolution.verdict, delivery::MxVerdict::kRoutes) << resolution.detail;
  ASSERT_EQ(resolution.routes.size(), 1u);
  EXPECT_EQ(resolution.routes[0].exchange, "plain.test");
  EXPECT_EQ(resolution.routes[0].preference, 0);
  EXPECT_EQ(resolution.routes[0].address, "127.0.0.13:25");
}

TEST_F(MxLookupDnsmasqTest, NullMxAndMissingDomainArePermanent) {
  delivery::MxResolution null_mx = Lookup("nullmx.test");
  EXPECT_EQ(null_mx.verdict, delivery::MxVerdict::kPermanentFailure);
  EXPECT_EQ(null_mx.detail, "domain nullmx.test accepts no mail (null MX, RFC 7505)");
  delivery::MxResolution missing = Lookup("gone.test");
  EXPECT_EQ(missing.verdict, delivery::MxVerdict::kPermanentFailure);
  EXPECT_EQ(missing.detail, "domain gone.test does not exist");
  // An MX whose host has no address may be mid-change: temporary.
  delivery::MxResolution no_address = Lookup("noaddress.test");
  EXPECT_EQ(no_address.verdict, delivery::MxVerdict::kTemporaryFailure) << no_address.detail;
}

TEST_F(MxLookupDnsmasqTest, ASilentNameserverIsATemporaryFailureWithinItsBound) {
  // A port nothing answers on: every attempt times out (or is refused), the loop keeps running.
  auto silent = UdpDnsResolver::Create(
      env_->base(), *env_, "127.0.0.1:" + std::to_string(FreeUdpPort()), kTestAttemptTimeout);
  ASSERT_TRUE(silent.ok());
  int ticks = 0;
  TimerId ticker = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    ticker = env_->StartTimer(std::chrono::milliseconds(50), tick);
  };
  ticker = env_->StartTimer(Duration::zero(), tick);
  const MonoTime started = env_->MonotonicNow();
  delivery::MxResolution resolution = Lookup("example.test", silent->get());
  const Duration took = env_->MonotonicNow() - started;
  env_->CancelTimer(ticker);
  EXPECT_EQ(resolution.verdict, delivery::MxVerdict::kTemporaryFailure);
  EXPECT_NE(resolution.detail.find("no answer from 127.0.0.1:"), std::string::npos)
      << resolution.detail;
  EXPECT_GE(took, kTestAttemptTimeout * kDnsAttemptsMax);
  EXPECT_LT(took, kTestAttemptTimeout * kDnsAttemptsMax + std::chrono::seconds(5));
  // The loop ran other work all along (a 50 ms ticker over about a second).
  EXPECT_GE(ticks, 5);
}

TEST(ResolvConfTest, NameserverLines) {
  EXPECT_EQ(NameserversFromResolvConf("# comment\nsearch corp.test\nnameserver 10.0.0.53\n"
                                      "nameserver  2001:db8::53 # v6\nnameserver fe80::1%eth0\n"
                                      "nameserverx 1.2.3.4\n"),
            (std::vector<std::string>{"10.0.0.53:53", "[2001:db8::53]:53"}));
  EXPECT_TRUE(NameserversFromResolvConf("").empty());
}

}  // namespace
}  // namespace lifeboat
