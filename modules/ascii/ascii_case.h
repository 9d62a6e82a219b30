#pragma once
// ASCII case folding for protocol tokens: SMTP keywords and domains (RFC 5321 2.4: commands and
// domains are case-insensitive), MIME type and header names (RFC 2045 5.1, RFC 5322 1.2.2), LDAP
// attribute names (RFC 4512 2.5). These are ASCII by definition, so only A-Z fold: std::tolower
// depends on the C locale and would also fold bytes of UTF-8 sequences in some locales.
//
// One definition for every module (they used to carry four copies of their own).

#include <string>
#include <string_view>

namespace lifeboat::ascii {

constexpr char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = Lower(c);
  return out;
}

constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

}  // namespace lifeboat::ascii
