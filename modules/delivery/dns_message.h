#pragma once
// DNS messages for the outbound resolver (RFC 1035 section 4): a query for one name and type,
// and the parse of its response into a DnsAnswer (appliance/env/resolver.h). Sans-I/O: bytes in,
// values out; the transport (UDP on the loop) is appliance/net/udp_dns_resolver.h.
//
// Why our own codec: libevent's evdns (2.1) asks only A, AAAA and PTR questions, and MX is the
// question delivery needs (RFC 5321 section 5.1).
//
// A response is trusted only as an answer to the query: the id, the QR bit and the question must
// match (RFC 5452 section 9.1), otherwise it is ignored as a stray or a spoof.

#include <cstdint>
#include <string>
#include <string_view>

#include "appliance/env/resolver.h"
#include "appliance/env/status.h"

namespace lifeboat::delivery {

// RFC 1035 section 2.3.4: a name is at most 255 octets on the wire, a label at most 63.
inline constexpr size_t kDnsNameBytesMax = 255;
inline constexpr size_t kDnsLabelBytesMax = 63;
// A classic UDP response (RFC 1035 section 2.3.4); longer answers come truncated (TC).
inline constexpr size_t kDnsUdpMessageBytesMax = 512;
// Compression pointers followed in one name before it is called a loop.
inline constexpr int kDnsPointerJumpsMax = 64;

// "example.com" or "example.com." -> lower case without the dot, checked as a DNS name
// (letters, digits, hyphens, underscores; labels of 1..63). InvalidArgument otherwise.
Result<std::string> NormalizeDnsName(std::string_view name);

// The query message: header with RD set (we ask a recursive resolver), one question, class IN.
std::string EncodeDnsQuery(uint16_t id, const std::string& normalized_name, DnsType type);

// The verdict on a datagram received for the query (`id`, `normalized_name`, `type`).
// NotFound: not an answer to this query (wrong id, not a response, another question): ignore
// it and keep waiting. Otherwise the answer; a malformed response or a truncated one (TC, no TCP
// fallback here) is a kTemporaryFailure answer.
Result<DnsAnswer> ParseDnsResponse(std::string_view message, uint16_t id,
                                   const std::string& normalized_name, DnsType type);

}  // namespace lifeboat::delivery
