#include "modules/directory/ldap_entry.h"

#include <algorithm>
#include <utility>

#include "modules/ascii/ascii_case.h"

namespace lifeboat::directory {

AttributeMap::iterator AttributeMap::LowerBound(std::string_view name) {
  return std::lower_bound(items_.begin(), items_.end(), name,
                          [](const value_type& item, std::string_view key) {
                            return std::string_view(item.first) < key;
                          });
}

std::vector<std::string>& AttributeMap::operator[](std::string_view name) {
  iterator it = LowerBound(name);
  if (it != items_.end() && it->first == name) return it->second;
  return items_.emplace(it, std::string(name), std::vector<std::string>())->second;
}

AttributeMap::iterator AttributeMap::find(std::string_view name) {
  iterator it = LowerBound(name);
  return it != items_.end() && it->first == name ? it : items_.end();
}

AttributeMap::const_iterator AttributeMap::find(std::string_view name) const {
  return const_cast<AttributeMap*>(this)->find(name);
}

size_t AttributeMap::erase(std::string_view name) {
  iterator it = find(name);
  if (it == items_.end()) return 0;
  items_.erase(it);
  return 1;
}

void LdapEntry::Add(std::string_view name, std::string value) {
  attributes[ascii::Lower(name)].push_back(std::move(value));
}

const std::vector<std::string>& LdapEntry::Values(std::string_view name) const {
  static const std::vector<std::string> kNone;
  bool lower = std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  auto it = lower ? attributes.find(name) : attributes.find(ascii::Lower(name));
  return it == attributes.end() ? kNone : it->second;
}

std::string_view LdapEntry::First(std::string_view name) const {
  const std::vector<std::string>& values = Values(name);
  return values.empty() ? std::string_view() : std::string_view(values.front());
}

std::string DnKey(std::string_view dn) {
  std::string out;
  out.reserve(dn.size());
  for (size_t i = 0; i < dn.size(); ++i) {
    char c = dn[i];
    bool separator = c == ',' || c == '=' || c == '+';
    if (separator) {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out.push_back(c);
      while (i + 1 < dn.size() && dn[i + 1] == ' ') ++i;
      continue;
    }
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string_view StripExtendedDn(std::string_view dn) {
  while (dn.starts_with('<')) {
    size_t end = dn.find(">;");
    if (end == std::string_view::npos) break;
    dn.remove_prefix(end + 2);
  }
  return dn;
}

std::string ExtendedDnGuid(std::string_view dn) {
  constexpr std::string_view kPrefix = "<GUID=";
  if (!dn.starts_with(kPrefix)) return "";
  size_t end = dn.find('>');
  if (end == std::string_view::npos) return "";
  return ascii::Lower(dn.substr(kPrefix.size(), end - kPrefix.size()));
}

}  // namespace lifeboat::directory
