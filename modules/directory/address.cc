#include "modules/directory/address.h"

#include <cstring>

#include "modules/directory/ldap_entry.h"

namespace lifeboat::directory {
namespace {

// RFC 5322 3.2.3 atext.
bool IsAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// Dot-atom: atext runs separated by single dots, no dot at either end (RFC 5322 3.2.3).
bool IsDotAtom(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  char previous = '\0';
  for (char c : text) {
    if (c == '.') {
      if (previous == '.') return false;
    } else if (!IsAtext(c)) {
      return false;
    }
    previous = c;
  }
  return true;
}

// RFC 5321 4.1.2 Domain: dot-separated sub-domains of letters, digits and inner hyphens.
// We also require at least two labels: a bare host name is no mail domain of a company.
bool IsDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > kAddressDomainBytesMax) return false;
  size_t labels = 0;
  size_t start = 0;
  while (start <= domain.size()) {
    size_t end = domain.find('.', start);
    if (end == std::string_view::npos) end = domain.size();
    std::string_view label = domain.substr(start, end - start);
    if (label.empty() || label.size() > kDomainLabelBytesMax) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    ++labels;
    start = end + 1;
  }
  return labels >= 2;
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
  if (local.size() > kAddressLocalPartBytesMax || !IsDotAtom(local)) return std::nullopt;
  if (!IsDomain(domain)) return std::nullopt;
  std::string out(local);
  out.push_back('@');
  out += AsciiLower(domain);
  return out;
}

std::string AddressKey(std::string_view address) {
  return AsciiLower(address);
}

std::string_view AddressDomain(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

}  // namespace lifeboat::directory
