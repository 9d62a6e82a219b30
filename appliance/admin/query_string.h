#pragma once
// Text parameters of admin API URLs: "address=alice%40corp.example&folder=Inbox". Values are
// percent-encoded (RFC 3986 section 2.1); '+' is a literal plus, not a space, because addresses
// use it ("alice+tag@corp.example") and the only client is ours, which encodes everything but the
// unreserved characters (RFC 3986 section 2.3).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "appliance/env/status.h"

namespace lifeboat::admin {

// A decoded parameter value longer than this is refused: nothing the API takes is longer.
inline constexpr size_t kAdminQueryValueBytesMax = 1024;

// The decoded value of `name`, nullopt when absent. InvalidArgument for a bad %XX escape or a
// value above kAdminQueryValueBytesMax.
Result<std::optional<std::string>> QueryText(std::string_view query, std::string_view name);

// "name=1" true, "name=0" false, absent `absent`; anything else is InvalidArgument.
Result<bool> QueryFlag(std::string_view query, std::string_view name, bool absent = false);

// The decimal unsigned integer `name` into `value`: false when absent; InvalidArgument when
// present but not a decimal integer (after percent-decoding, as QueryText).
Result<bool> QueryUint(std::string_view query, std::string_view name, uint64_t& value);

// Percent-encodes every byte outside RFC 3986 unreserved (ALPHA DIGIT - . _ ~).
std::string PercentEncode(std::string_view text);

}  // namespace lifeboat::admin
