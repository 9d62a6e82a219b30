#include "modules/delivery/dns_message.h"

#include <arpa/inet.h>

namespace lifeboat::delivery {
namespace {

constexpr size_t kHeaderBytes = 12;
constexpr uint16_t kClassIn = 1;
constexpr uint16_t kFlagResponse = 0x8000;
constexpr uint16_t kFlagTruncated = 0x0200;
constexpr uint16_t kFlagRecursionDesired = 0x0100;
// RFC 1035 section 4.1.1 RCODE values.
constexpr int kRcodeNoError = 0;
constexpr int kRcodeServerFailure = 2;
constexpr int kRcodeNameError = 3;
constexpr int kRcodeRefused = 5;

void PutU16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}

class Reader {
 public:
  explicit Reader(std::string_view message) : message_(message) {}

  bool U16(size_t& at, uint16_t& value) const {
    if (at + 2 > message_.size()) return false;
    value = static_cast<uint16_t>((Byte(at) << 8) | Byte(at + 1));
    at += 2;
    return true;
  }
  bool U32(size_t& at) const {
    if (at + 4 > message_.size()) return false;
    at += 4;
    return true;
  }
  uint8_t Byte(size_t at) const { return static_cast<uint8_t>(message_[at]); }
  size_t size() const { return message_.size(); }
  std::string_view Slice(size_t at, size_t length) const { return message_.substr(at, length); }

  // Reads the name at `at` (following compression pointers, section 4.1.4) into lower-case
  // dotted text without the final dot; `at` moves past the name as it sits in place.
  bool Name(size_t& at, std::string& name) const {
    name.clear();
    size_t cursor = at;
    bool jumped = false;
    int jumps = 0;
    size_t wire_bytes = 0;
    while (true) {
      if (cursor >= message_.size()) return false;
      const uint8_t length = Byte(cursor);
      if ((length & 0xc0) == 0xc0) {
        if (cursor + 1 >= message_.size() || ++jumps > kDnsPointerJumpsMax) return false;
        const size_t target = static_cast<size_t>(((length & 0x3f) << 8) | Byte(cursor + 1));
        if (!jumped) at = cursor + 2;
        jumped = true;
        cursor = target;
        continue;
      }
      if ((length & 0xc0) != 0) return false;  // the 0x40/0x80 label types are not in use
      if (length == 0) {
        if (!jumped) at = cursor + 1;
        return true;
      }
      wire_bytes += length + 1u;
      if (wire_bytes > kDnsNameBytesMax || cursor + 1 + length > message_.size()) return false;
      if (!name.empty()) name += '.';
      for (size_t i = 0; i < length; ++i) {
        char c = message_[cursor + 1 + i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        name += c;
      }
      cursor += 1 + length;
    }
  }

 private:
  std::string_view message_;
};

DnsAnswer Temporary(std::string detail) {
  DnsAnswer answer;
  answer.outcome = DnsAnswer::Outcome::kTemporaryFailure;
  answer.detail = std::move(detail);
  return answer;
}

std::string AddressText(std::string_view rdata) {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = rdata.size() == 4 ? AF_INET : AF_INET6;
  if (inet_ntop(family, rdata.data(), text, sizeof(text)) == nullptr) return "";
  return text;
}

}  // namespace

Result<std::string> NormalizeDnsName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() + 2 > kDnsNameBytesMax) {
    return Status::InvalidArgument("not a DNS name: '" + std::string(name) + "'");
  }
  std::string out;
  size_t label = 0;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '.') {
      if (label == 0) return Status::InvalidArgument("empty label in '" + std::string(name) + "'");
      label = 0;
    } else {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok || ++label > kDnsLabelBytesMax) {
        return Status::InvalidArgument("not a DNS name: '" + std::string(name) + "'");
      }
    }
    out += c;
  }
  if (label == 0) return Status::InvalidArgument("empty label in '" + std::string(name) + "'");
  return out;
}

std::string EncodeDnsQuery(uint16_t id, const std::string& normalized_name, DnsType type) {
  std::string out;
  PutU16(out, id);
  PutU16(out, kFlagRecursionDesired);
  PutU16(out, 1);  // QDCOUNT
  PutU16(out, 0);
  PutU16(out, 0);
  PutU16(out, 0);
  size_t start = 0;
  while (start <= normalized_name.size()) {
    size_t dot = normalized_name.find('.', start);
    if (dot == std::string::npos) dot = normalized_name.size();
    out.push_back(static_cast<char>(dot - start));
    out.append(normalized_name, start, dot - start);
    start = dot + 1;
  }
  out.push_back('\0');
  PutU16(out, static_cast<uint16_t>(type));
  PutU16(out, kClassIn);
  return out;
}

Result<DnsAnswer> ParseDnsResponse(std::string_view message, uint16_t id,
                                   const std::string& normalized_name, DnsType type) {
  Reader reader(message);
  size_t at = 0;
  uint16_t got_id = 0, flags = 0, questions = 0, answers = 0;
  if (message.size() < kHeaderBytes || !reader.U16(at, got_id) || !reader.U16(at, flags) ||
      !reader.U16(at, questions) || !reader.U16(at, answers)) {
    return Status::NotFound("shorter than a DNS header");
  }
  at = kHeaderBytes;
  if (got_id != id || (flags & kFlagResponse) == 0) return Status::NotFound("not our answer");
  // The question must be ours (RFC 5452 section 9.1).
  std::string question_name;
  uint16_t question_type = 0, question_class = 0;
  if (questions != 1 || !reader.Name(at, question_name) || !reader.U16(at, question_type) ||
      !reader.U16(at, question_class) || question_name != normalized_name ||
      question_type != static_cast<uint16_t>(type) || question_class != kClassIn) {
    return Status::NotFound("an answer to another question");
  }
  if ((flags & kFlagTruncated) != 0) return Temporary("truncated answer (TCP not tried)");
  const int rcode = flags & 0x000f;
  if (rcode == kRcodeNameError) {
    DnsAnswer answer;
    answer.outcome = DnsAnswer::Outcome::kNameError;
    answer.detail = "NXDOMAIN";
    return answer;
  }
  if (rcode == kRcodeServerFailure) return Temporary("SERVFAIL");
  if (rcode == kRcodeRefused) return Temporary("REFUSED");
  if (rcode != kRcodeNoError) return Temporary("RCODE " + std::to_string(rcode));

  DnsAnswer answer;
  for (uint16_t i = 0; i < answers; ++i) {
    std::string owner;
    uint16_t record_type = 0, record_class = 0, length = 0;
    if (!reader.Name(at, owner) || !reader.U16(at, record_type) || !reader.U16(at, record_class) ||
        !reader.U32(at) || !reader.U16(at, length) || at + length > reader.size()) {
      return Temporary("malformed answer record");
    }
    const size_t rdata = at;
    at += length;
    // Records of other types (the CNAME chain a recursive resolver includes) are skipped.
    if (record_class != kClassIn || record_type != static_cast<uint16_t>(type)) continue;
    if (type == DnsType::kMx) {
      MxRecord mx;
      size_t cursor = rdata;
      if (length < 3 || !reader.U16(cursor, mx.preference) || !reader.Name(cursor, mx.exchange) ||
          cursor != at) {
        return Temporary("malformed MX record");
      }
      answer.mx.push_back(std::move(mx));
    } else {
      const size_t expected = type == DnsType::kA ? 4 : 16;
      if (length != expected) return Temporary("malformed address record");
      answer.addresses.push_back(AddressText(reader.Slice(rdata, length)));
    }
  }
  const bool empty = type == DnsType::kMx ? answer.mx.empty() : answer.addresses.empty();
  answer.outcome = empty ? DnsAnswer::Outcome::kNoData : DnsAnswer::Outcome::kAnswer;
  if (empty)
    answer.detail = "no " +
                    std::string(type == DnsType::kMx  ? "MX"
                                : type == DnsType::kA ? "A"
                                                      : "AAAA") +
                    " record";
  return answer;
}

}  // namespace lifeboat::delivery
