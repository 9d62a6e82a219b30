// The DNS messages of the outbound resolver (dns_message.h) and the MX decision on top of them
// (mx_plan.h): RFC 1035 encoding and compression, RFC 5321 section 5.1 ordering and the implicit
// MX, RFC 7505 null MX, and forged or stray answers ignored.
#include "modules/delivery/mx_plan.h"

#include <gtest/gtest.h>

#include <string>

#include "modules/delivery/dns_message.h"

namespace lifeboat::delivery {
namespace {

std::string U16(uint16_t value) {
  return {static_cast<char>(value >> 8), static_cast<char>(value & 0xff)};
}

// A response to EncodeDnsQuery(id, name, type): the query's bytes with QR set, `rcode`, and
// `answers` (already encoded records).
std::string Response(uint16_t id, const std::string& name, DnsType type, int rcode,
                     uint16_t answer_count, const std::string& answers, uint16_t extra_flags = 0) {
  std::string message = EncodeDnsQuery(id, name, type);
  const uint16_t flags = static_cast<uint16_t>(0x8180 | rcode | extra_flags);
  message.replace(2, 2, U16(flags));
  message.replace(6, 2, U16(answer_count));
  return message + answers;
}

// An answer record whose owner is a pointer to the question name (offset 12).
std::string Record(DnsType type, const std::string& rdata) {
  return "\xc0\x0c" + U16(static_cast<uint16_t>(type)) + U16(1) + std::string("\0\0\x0e\x10", 4) +
         U16(static_cast<uint16_t>(rdata.size())) + rdata;
}

std::string Labels(const std::string& dotted) {
  std::string out;
  size_t start = 0;
  while (start < dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    out += static_cast<char>(dot - start);
    out += dotted.substr(start, dot - start);
    start = dot + 1;
  }
  return out + std::string(1, '\0');
}

TEST(DnsMessageTest, QueryIsRfc1035) {
  const std::string query = EncodeDnsQuery(0x1234, "mx.example.com", DnsType::kMx);
  EXPECT_EQ(query, std::string("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12) +
                       "\x02mx\x07"
                       "example\x03"
                       "com" +
                       std::string("\0\x00\x0f\x00\x01", 5));
}

TEST(DnsMessageTest, NamesAreNormalizedAndChecked) {
  EXPECT_EQ(*NormalizeDnsName("Example.COM."), "example.com");
  EXPECT_FALSE(NormalizeDnsName("").ok());
  EXPECT_FALSE(NormalizeDnsName("a..b").ok());
  EXPECT_FALSE(NormalizeDnsName("bad name.com").ok());
  EXPECT_FALSE(NormalizeDnsName(std::string(64, 'a') + ".com").ok());
}

TEST(DnsMessageTest, MxAnswerWithCompressedExchange) {
  // mx1.example.com written as "mx1" + a pointer to the question's "example.com" (offset 12).
  const std::string rdata = U16(10) + "\x03mx1\xc0\x0c";
  const std::string message = Response(
      7, "example.com", DnsType::kMx, 0, 2,
      Record(DnsType::kMx, rdata) + Record(DnsType::kMx, U16(5) + Labels("MX2.Other.test")));
  auto answer = ParseDnsResponse(message, 7, "example.com", DnsType::kMx);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->outcome, DnsAnswer::Outcome::kAnswer);
  ASSERT_EQ(answer->mx.size(), 2u);
  EXPECT_EQ(answer->mx[0].preference, 10);
  EXPECT_EQ(answer->mx[0].exchange, "mx1.example.com");
  EXPECT_EQ(answer->mx[1].exchange, "mx2.other.test");
}

TEST(DnsMessageTest, AddressesAndOutcomes) {
  auto a = ParseDnsResponse(Response(1, "h.test", DnsType::kA, 0, 1,
                                     Record(DnsType::kA, std::string("\xc0\x00\x02\x01", 4))),
                            1, "h.test", DnsType::kA);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->addresses, std::vector<std::string>{"192.0.2.1"});
  std::string v6(16, '\0');
  v6[0] = 0x20;
  v6[1] = 0x01;
  v6[2] = 0x0d;
  v6[3] = static_cast<char>(0xb8);
  v6[15] = 1;
  auto aaaa =
      ParseDnsResponse(Response(1, "h.test", DnsType::kAaaa, 0, 1, Record(DnsType::kAaaa, v6)), 1,
                       "h.test", DnsType::kAaaa);
  ASSERT_TRUE(aaaa.ok());
  EXPECT_EQ(aaaa->addresses, std::vector<std::string>{"2001:db8::1"});

  EXPECT_EQ(
      ParseDnsResponse(Response(1, "h.test", DnsType::kMx, 0, 0, ""), 1, "h.test", DnsType::kMx)
          ->outcome,
      DnsAnswer::Outcome::kNoData);
  EXPECT_EQ(
      ParseDnsResponse(Response(1, "h.test", DnsType::kMx, 3, 0, ""), 1, "h.test", DnsType::kMx)
          ->outcome,
      DnsAnswer::Outcome::kNameError);
  auto servfail =
      ParseDnsResponse(Response(1, "h.test", DnsType::kMx, 2, 0, ""), 1, "h.test", DnsType::kMx);
  EXPECT_EQ(servfail->outcome, DnsAnswer::Outcome::kTemporaryFailure);
  EXPECT_EQ(servfail->detail, "SERVFAIL");
  auto truncated = ParseDnsResponse(Response(1, "h.test", DnsType::kMx, 0, 0, "", 0x0200), 1,
                                    "h.test", DnsType::kMx);
  EXPECT_EQ(truncated->outcome, DnsAnswer::Outcome::kTemporaryFailure);
  // A record cut short is a temporary failure, never a crash or a read past the end.
  const std::string cut = Response(1, "h.test", DnsType::kA, 0, 1,
                                   Record(DnsType::kA, std::string("\xc0\x00\x02\x01", 4)));
  EXPECT_EQ(ParseDnsResponse(cut.substr(0, cut.size() - 2), 1, "h.test", DnsType::kA)->outcome,
            DnsAnswer::Outcome::kTemporaryFailure);
}

TEST(DnsMessageTest, StrayAndForgedAnswersAreIgnored) {
  const std::string good = Response(9, "h.test", DnsType::kMx, 0, 0, "");
  EXPECT_EQ(ParseDnsResponse(good, 10, "h.test", DnsType::kMx).status().code(),
            StatusCode::kNotFound);  // another id
  EXPECT_EQ(ParseDnsResponse(good, 9, "other.test", DnsType::kMx).status().code(),
            StatusCode::kNotFound);  // another question
  EXPECT_EQ(ParseDnsResponse(good, 9, "h.test", DnsType::kA).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(ParseDnsResponse(EncodeDnsQuery(9, "h.test", DnsType::kMx), 9, "h.test", DnsType::kMx)
                .status()
                .code(),
            StatusCode::kNotFound);  // a query, not a response
  EXPECT_FALSE(ParseDnsResponse("\x01", 9, "h.test", DnsType::kMx).ok());
  // A compression loop is refused, not followed forever.
  const std::string loop =
      Response(9, "h.test", DnsType::kMx, 0, 1, Record(DnsType::kMx, U16(1) + "\xc0\x00"));
  std::string looping = loop;
  looping.replace(looping.size() - 2, 2,
                  std::string("\xc0") + static_cast<char>(looping.size() - 2));
  EXPECT_EQ(ParseDnsResponse(looping, 9, "h.test", DnsType::kMx)->outcome,
            DnsAnswer::Outcome::kTemporaryFailure);
}

DnsAnswer MxAnswer(std::vector<MxRecord> records) {
  DnsAnswer answer;
  answer.outcome = DnsAnswer::Outcome::kAnswer;
  answer.mx = std::move(records);
  return answer;
}

DnsAnswer Addresses(std::vector<std::string> addresses) {
  DnsAnswer answer;
  answer.outcome = addresses.empty() ? DnsAnswer::Outcome::kNoData : DnsAnswer::Outcome::kAnswer;
  answer.addresses = std::move(addresses);
  return answer;
}

TEST(MxPlanTest, SortedByPreferenceWithTiesShuffledFromTheSeed) {
  const DnsAnswer answer =
      MxAnswer({{20, "c.test"}, {10, "a.test"}, {10, "b.test"}, {5, "first.test"}});
  bool a_first = false, b_first = false;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    MxPlan plan = PlanFromMxAnswer("example.test", answer, seed);
    ASSERT_EQ(plan.verdict, MxVerdict::kRoutes);
    ASSERT_EQ(plan.exchanges.size(), 4u);
    EXPECT_EQ(plan.exchanges[0].exchange, "first.test");
    EXPECT_EQ(plan.exchanges[3].exchange, "c.test");
    a_first = a_first || plan.exchanges[1].exchange == "a.test";
    b_first = b_first || plan.exchanges[1].exchange == "b.test";
    // The same seed, the same order.
    EXPECT_EQ(PlanFromMxAnswer("example.test", answer, seed).exchanges[1].exchange,
              plan.exchanges[1].exchange);
  }
  EXPECT_TRUE(a_first && b_first) << "equal preferences are not randomized (RFC 5321 5.1)";
}

TEST(MxPlanTest, ImplicitMxNullMxAndFailures) {
  DnsAnswer nodata;
  nodata.outcome = DnsAnswer::Outcome::kNoData;
  MxPlan implicit = PlanFromMxAnswer("plain.test", nodata, 1);
  ASSERT_EQ(implicit.verdict, MxVerdict::kRoutes);
  EXPECT_TRUE(implicit.implicit);
  ASSERT_EQ(implicit.exchanges.size(), 1u);
  EXPECT_EQ(implicit.exchanges[0].exchange, "plain.test");

  MxPlan null_mx = PlanFromMxAnswer("nomail.test", MxAnswer({{0, ""}}), 1);
  EXPECT_EQ(null_mx.verdict, MxVerdict::kPermanentFailure);
  EXPECT_NE(null_mx.detail.find("RFC 7505"), std::string::npos);
  // A null MX beside real ones breaks RFC 7505; the real ones are used.
  MxPlan mixed = PlanFromMxAnswer("odd.test", MxAnswer({{0, ""}, {10, "mx.odd.test"}}), 1);
  ASSERT_EQ(mixed.verdict, MxVerdict::kRoutes);
  EXPECT_EQ(mixed.exchanges.size(), 1u);

  DnsAnswer nxdomain;
  nxdomain.outcome = DnsAnswer::Outcome::kNameError;
  EXPECT_EQ(PlanFromMxAnswer("gone.test", nxdomain, 1).verdict, MxVerdict::kPermanentFailure);
  DnsAnswer servfail;
  servfail.outcome = DnsAnswer::Outcome::kTemporaryFailure;
  servfail.detail = "SERVFAIL";
  MxPlan temporary = PlanFromMxAnswer("flaky.test", servfail, 1);
  EXPECT_EQ(temporary.verdict, MxVerdict::kTemporaryFailure);
  EXPECT_EQ(temporary.detail, "MX lookup for flaky.test: SERVFAIL");

  std::vector<MxRecord> many;
  for (uint16_t i = 0; i < 20; ++i) many.push_back({i, "mx" + std::to_string(i) + ".test"});
  MxPlan cut = PlanFromMxAnswer("big.test", MxAnswer(many), 1);
  ASSERT_EQ(cut.exchanges.size(), kMxExchangesMax);
  EXPECT_EQ(cut.exchanges.back().preference, kMxExchangesMax - 1);
}

TEST(MxPlanTest, RoutesInOrderAndWhenThereAreNone) {
  MxPlan plan = PlanFromMxAnswer("example.test", MxAnswer({{10, "b.test"}, {5, "a.test"}}), 1);
  MxResolution routes = ResolveRoutes("example.test", plan,
                                      {{Addresses({"192.0.2.1"}), Addresses({"2001:db8::1"})},
                                       {Addresses({"192.0.2.2"}), Addresses({})}});
  ASSERT_EQ(routes.verdict, MxVerdict::kRoutes);
  ASSERT_EQ(routes.routes.size(), 3u);
  EXPECT_EQ(routes.routes[0].address, "192.0.2.1:25");
  EXPECT_EQ(routes.routes[0].exchange, "a.test");
  EXPECT_EQ(routes.routes[1].address, "[2001:db8::1]:25");
  EXPECT_EQ(routes.routes[2].address, "192.0.2.2:25");
  EXPECT_EQ(routes.routes[2].preference, 10);

  DnsAnswer servfail;
  servfail.outcome = DnsAnswer::Outcome::kTemporaryFailure;
  servfail.detail = "SERVFAIL";
  EXPECT_EQ(ResolveRoutes("example.test", plan,
                          {{servfail, Addresses({})}, {Addresses({}), Addresses({})}})
                .verdict,
            MxVerdict::kTemporaryFailure);
  // Real MX records without addresses: maybe mid-change, so temporary.
  EXPECT_EQ(ResolveRoutes("example.test", plan,
                          {{Addresses({}), Addresses({})}, {Addresses({}), Addresses({})}})
                .verdict,
            MxVerdict::kTemporaryFailure);
  // No MX and no address for the domain itself: not a mail domain.
  DnsAnswer nodata;
  nodata.outcome = DnsAnswer::Outcome::kNoData;
  MxPlan implicit = PlanFromMxAnswer("plain.test", nodata, 1);
  MxResolution none = ResolveRoutes("plain.test", implicit, {{Addresses({}), Addresses({})}});
  EXPECT_EQ(none.verdict, MxVerdict::kPermanentFailure);
  EXPECT_EQ(none.detail, "domain plain.test has no MX and no address record");
}

}  // namespace
}  // namespace lifeboat::delivery
