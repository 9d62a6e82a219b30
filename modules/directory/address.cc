#include "modules/directory/address.h"

#include "modules/ascii/ascii_case.h"
#include "modules/smtp/address.h"

namespace lifeboat::directory {
namespace {

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// The SMTP grammar (modules/smtp/address.h), ASCII only, and at least two labels in the domain: a
// bare host name is no mail domain of a company.
bool IsDotAtomLocalPart(std::string_view local) {
  return IsAscii(local) && smtp::IsDotString(local);
}

bool IsDomain(std::string_view domain) {
  if (domain.size() > kAddressDomainBytesMax || !smtp::IsValidDomain(domain, false)) return false;
  return domain.find('.') != std::string_view::npos;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::string> NormalizeAddress(std::string_view raw) {
  std::string_view text = Trim(raw);
  size_t at = text.rfind('@');
  if (at == std::string_view::npos || text.find('@') != at) return std::nullopt;
  std::string_view local = text.substr(0, at);
  std::string_view domain = text.substr(at + 1);
  if (local.size() > kAddressLocalPartBytesMax || !IsDotAtomLocalPart(local)) return std::nullopt;
  if (!IsDomain(domain)) return std::nullopt;
  std::string out(local);
  out.push_back('@');
  out += ascii::Lower(domain);
  return out;
}

std::string AddressKey(std::string_view address) {
  return ascii::Lower(address);
}

std::string_view AddressDomain(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

}  // namespace lifeboat::directory
