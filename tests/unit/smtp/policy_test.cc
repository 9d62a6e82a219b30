#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "modules/smtp/policy/admission.h"
#include "modules/smtp/policy/chain.h"
#include "modules/smtp/policy/cidr.h"
#include "modules/smtp/policy/message_rate_limiter.h"
#include "modules/smtp/policy/recipient_filters.h"
#include "tests/unit/smtp/fixed_resolver.h"

namespace lifeboat::smtp {
namespace {

using namespace std::chrono_literals;

TEST(CidrTest, Ipv4AndIpv6RangesMatch) {
  Result<CidrList> list = CidrList::Parse({"10.0.0.0/8", "192.0.2.7", "2001:db8::/32"});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->Contains("10.200.3.4"));
  EXPECT_FALSE(list->Contains("11.0.0.1"));
  EXPECT_TRUE(list->Contains("192.0.2.7"));
  EXPECT_FALSE(list->Contains("192.0.2.8"));
  EXPECT_TRUE(list->Contains("2001:db8:ffff::1"));
  EXPECT_FALSE(list->Contains("2001:db9::1"));
  EXPECT_TRUE(list->Contains("::ffff:10.1.2.3"));  // IPv4-mapped, RFC 4291 2.5.5.2
  EXPECT_FALSE(list->Contains("not-an-ip"));
}

TEST(CidrTest, OddPrefixLengths) {
  Result<CidrList> list = CidrList::Parse({"172.16.0.0/12", "2001:db8:8000::/33"});
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->Contains("172.31.255.255"));
  EXPECT_FALSE(list->Contains("172.32.0.0"));
  EXPECT_TRUE(list->Contains("2001:db8:8000::1"));
  EXPECT_FALSE(list->Contains("2001:db8:7fff::1"));
}

TEST(CidrTest, BadEntriesAreErrors) {
  for (const char* bad :
       {"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "nonsense", "2001:db8::/129"}) {
    Result<CidrList> list = CidrList::Parse({bad});
    EXPECT_FALSE(list.ok()) << bad;
    EXPECT_EQ(list.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ClientKeyTest, Ipv6CountsPerSlash64) {
  EXPECT_EQ(ClientKey("2001:db8:1:2:aaaa::1"), ClientKey("2001:db8:1:2:bbbb::9"));
  EXPECT_NE(ClientKey("2001:db8:1:2::1"), ClientKey("2001:db8:1:3::1"));
  EXPECT_EQ(ClientKey("::ffff:192.0.2.1"), "192.0.2.1");
}

TEST(AdmissionTest, PerIpAndTotalLimitsAndRelease) {
  SessionAdmission admission(/*sessions_per_ip_max=*/2, /*sessions_total_max=*/3);
  Result<SessionAdmission::Ticket> a1 = admission.Admit("192.0.2.1");
  Result<SessionAdmission::Ticket> a2 = admission.Admit("192.0.2.1");
  ASSERT_TRUE(a1.ok() && a2.ok());
  Result<SessionAdmission::Ticket> a3 = admission.Admit("192.0.2.1");
  ASSERT_FALSE(a3.ok());
  EXPECT_EQ(a3.status().code(), StatusCode::kResourceExhausted);
  {
    Result<SessionAdmission::Ticket> b1 = admission.Admit("192.0.2.2");
    ASSERT_TRUE(b1.ok());
    EXPECT_EQ(admission.sessions_total(), 3u);
    EXPECT_FALSE(admission.Admit("192.0.2.3").ok());  // total reached
  }
  EXPECT_EQ(admission.sessions_total(), 2u);  // b1's ticket gave its place back
  EXPECT_TRUE(admission.Admit("192.0.2.3").ok());
  EXPECT_EQ(admission.sessions_for("192.0.2.3"), 0u);  // that temporary ticket is gone too
  EXPECT_EQ(SessionAdmission::RefusalReply("mx"),
            "421 4.7.0 mx Error: too many connections, try later\r\n");
}

TEST(AdmissionTest, MovedTicketReleasesOnce) {
  SessionAdmission admission(1, 10);
  std::optional<SessionAdmission::Ticket> held;
  {
    Result<SessionAdmission::Ticket> ticket = admission.Admit("192.0.2.1");
    ASSERT_TRUE(ticket.ok());
    held.emplace(std::move(ticket).value());
  }
  EXPECT_EQ(admission.sessions_for("192.0.2.1"), 1u);
  held.reset();
  EXPECT_EQ(admission.sessions_for("192.0.2.1"), 0u);
  EXPECT_EQ(admission.sessions_total(), 0u);
}

TEST(MessageRateLimiterTest, BurstThenOnePerInterval) {
  MessageRateLimiter limiter(/*burst_max=*/3, /*interval=*/10s, /*clients_max=*/100);
  MonoTime t{0};
  EXPECT_TRUE(limiter.TryAcquire("192.0.2.1", t));
  EXPECT_TRUE(limiter.TryAcquire("192.0.2.1", t));
  EXPECT_TRUE(limiter.TryAcquire("192.0.2.1", t));
  EXPECT_FALSE(limiter.TryAcquire("192.0.2.1", t));
  EXPECT_TRUE(limiter.TryAcquire("192.0.2.2", t));  // another client has its own bucket
  EXPECT_FALSE(limiter.TryAcquire("192.0.2.1", t + 9s));
  EXPECT_TRUE(limiter.TryAcquire("192.0.2.1", t + 10s));
  EXPECT_FALSE(limiter.TryAcquire("192.0.2.1", t + 10s));
  EXPECT_TRUE(limiter.TryAcquire("192.0.2.1", t + 100s));  // refilled, burst again
  EXPECT_TRUE(limiter.TryAcquire("192.0.2.1", t + 100s));
}

TEST(MessageRateLimiterTest, MemoryBoundDropsIdleClientsFirst) {
  MessageRateLimiter limiter(/*burst_max=*/1, /*interval=*/10s, /*clients_max=*/2);
  EXPECT_TRUE(limiter.TryAcquire("192.0.2.1", MonoTime(0s)));
  EXPECT_TRUE(limiter.TryAcquire("192.0.2.2", MonoTime(0s)));
  EXPECT_FALSE(limiter.TryAcquire("192.0.2.3", MonoTime(1s)));  // both still busy: refuse
  EXPECT_TRUE(limiter.TryAcquire("192.0.2.3", MonoTime(10s)));  // idle ones dropped
  EXPECT_EQ(limiter.tracked_clients(), 1u);
}

Path Rcpt(std::string_view text) {
  PathParse parse = ParsePath(text, false, true);
  EXPECT_TRUE(parse.ok) << text;
  return parse.path;
}

TEST(RecipientFiltersTest, RoutingTricksAreRefusedEvenForOurDomain) {
  RoutingTrickFilter filter;
  PolicyContext context;
  for (const char* trick : {"<user%ext.example@example.com>", "<ext.example!user@example.com>",
                            "<\"user@ext.example\"@example.com>", "<\"u%ext\"@example.com>",
                            "<@example.com:user@ext.example>", "<\"u\\@ext\"@example.com>"}) {
    FilterVerdict verdict = filter.OnRcpt(context, Rcpt(trick));
    EXPECT_TRUE(verdict.stop) << trick;
    EXPECT_EQ(verdict.reply.code, 550) << trick;
    EXPECT_EQ(verdict.reply.enhanced, "5.7.1") << trick;
  }
  EXPECT_FALSE(filter.OnRcpt(context, Rcpt("<alice@example.com>")).stop);
  EXPECT_FALSE(filter.OnRcpt(context, Rcpt("<\"alice smith\"@example.com>")).stop);
}

TEST(RecipientFiltersTest, DirectoryVerdictsAndTrustedRelay) {
  testing::FixedRecipientResolver resolver;
  Result<CidrList> trusted = CidrList::Parse({"10.0.0.0/8"});
  ASSERT_TRUE(trusted.ok());
  RecipientDirectoryFilter filter(resolver, *trusted);
  PolicyContext outside;
  outside.peer_ip = "198.51.100.7";
  PolicyContext inside;
  inside.peer_ip = "10.1.1.1";
  EXPECT_FALSE(filter.OnRcpt(outside, Rcpt("<alice@example.com>")).stop);
  EXPECT_FALSE(filter.OnRcpt(outside, Rcpt("<Sales@EXAMPLE.com>")).stop);
  FilterVerdict unknown = filter.OnRcpt(outside, Rcpt("<nobody@example.com>"));
  EXPECT_EQ(unknown.reply.code, 550);
  EXPECT_EQ(unknown.reply.enhanced, "5.1.1");
  FilterVerdict loading = filter.OnRcpt(outside, Rcpt("<newhire@example.com>"));
  EXPECT_EQ(loading.reply.code, 451);  // temporary: the sender retries
  EXPECT_EQ(loading.reply.enhanced, "4.4.3");
  FilterVerdict relay = filter.OnRcpt(outside, Rcpt("<x@elsewhere.example>"));
  EXPECT_EQ(relay.reply.enhanced, "5.7.1");
  EXPECT_FALSE(filter.OnRcpt(inside, Rcpt("<x@elsewhere.example>")).stop);
  EXPECT_FALSE(filter.OnRcpt(outside, Rcpt("<Postmaster>")).stop);  // RFC 5321 4.5.1
}

class StopAll : public PolicyFilter {
 public:
  FilterVerdict OnData(const PolicyContext&) override {
    return FilterVerdict::Stop(MakeReply(554, "5.7.0", "no"));
  }
};

class CountCalls : public PolicyFilter {
 public:
  explicit CountCalls(int* calls) : calls_(calls) {}
  FilterVerdict OnData(const PolicyContext&) override {
    ++*calls_;
    return FilterVerdict::Continue();
  }

 private:
  int* calls_;
};

TEST(PolicyChainTest, FirstStopWinsAndLaterFiltersDoNotRun) {
  int calls = 0;
  PolicyChain chain;
  chain.Add(std::make_unique<CountCalls>(&calls));
  chain.Add(std::make_unique<StopAll>());
  chain.Add(std::make_unique<CountCalls>(&calls));
  FilterVerdict verdict = chain.RunData(PolicyContext{});
  EXPECT_TRUE(verdict.stop);
  EXPECT_EQ(verdict.reply.code, 554);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(chain.RunConnect(PolicyContext{}).stop);
}

}  // namespace
}  // namespace lifeboat::smtp
