#pragma once
// Base64 (RFC 4648 section 4) for LDIF values (RFC 2849) and opaque sync cookies kept as text.

#include <optional>
#include <string>
#include <string_view>

namespace lifeboat::directory {

std::string Base64Encode(std::string_view bytes);
// nullopt when `text` holds a character outside the alphabet (blanks and padding are skipped).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace lifeboat::directory
