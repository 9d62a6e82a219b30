#include "modules/smtp/policy/cidr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace lifeboat::smtp {
namespace {

constexpr size_t kIpv6SubscriberPrefixBits = 64;

bool BitsMatch(const IpAddress& a, const IpAddress& b, size_t prefix_bits) {
  size_t full = prefix_bits / 8;
  if (!std::equal(a.bytes.begin(), a.bytes.begin() + full, b.bytes.begin())) return false;
  size_t rest = prefix_bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

IpAddress Masked(IpAddress address, size_t prefix_bits) {
  for (size_t bit = prefix_bits; bit < address.bit_count(); ++bit) {
    address.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  return address;
}

}  // namespace

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  std::string copy(text);
  IpAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) return address;
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1) return std::nullopt;
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::equal(kMappedPrefix, kMappedPrefix + 12, address.bytes.begin())) {
    IpAddress v4;
    std::copy(address.bytes.begin() + 12, address.bytes.end(), v4.bytes.begin());
    return v4;
  }
  address.is_v6 = true;
  return address;
}

std::string ClientKey(std::string_view text) {
  std::optional<IpAddress> address = ParseIpAddress(text);
  if (!address) return std::string(text);
  char buffer[INET6_ADDRSTRLEN];
  if (!address->is_v6) {
    inet_ntop(AF_INET, address->bytes.data(), buffer, sizeof(buffer));
    return buffer;
  }
  IpAddress prefix = Masked(*address, kIpv6SubscriberPrefixBits);
  inet_ntop(AF_INET6, prefix.bytes.data(), buffer, sizeof(buffer));
  return std::string(buffer) + "/64";
}

bool CidrRange::Contains(const IpAddress& address) const {
  return address.is_v6 == network.is_v6 && BitsMatch(address, network, prefix_bits);
}

Result<CidrList> CidrList::Parse(const std::vector<std::string>& entries) {
  CidrList list;
  for (const std::string& entry : entries) {
    std::string_view text = entry;
    size_t slash = text.find('/');
    std::optional<IpAddress> network = ParseIpAddress(text.substr(0, slash));
    if (!network) return Status::InvalidArgument("trusted network: bad address: " + entry);
    CidrRange range{*network, network->bit_count()};
    if (slash != std::string_view::npos) {
      std::string_view bits = text.substr(slash + 1);
      auto [end, error] =
          std::from_chars(bits.data(), bits.data() + bits.size(), range.prefix_bits);
      if (bits.empty() || error != std::errc() || end != bits.data() + bits.size() ||
          range.prefix_bits > network->bit_count()) {
        return Status::InvalidArgument("trusted network: bad prefix length: " + entry);
      }
    }
    if (!(Masked(*network, range.prefix_bits) == *network)) {
      return Status::InvalidArgument("trusted network: host bits set: " + entry);
    }
    list.ranges_.push_back(range);
  }
  return list;
}

bool CidrList::Contains(const IpAddress& address) const {
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [&](const CidrRange& range) { return range.Contains(address); });
}

bool CidrList::Contains(std::string_view address) const {
  std::optional<IpAddress> parsed = ParseIpAddress(address);
  return parsed && Contains(*parsed);
}

}  // namespace lifeboat::smtp
