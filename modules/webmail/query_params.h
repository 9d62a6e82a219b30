#pragma once
// Parameters of a webmail GET's query ("folder=Inbox&before=...&limit=50"), percent-decoded
// (RFC 3986 2.1). '+' stays a plus: the browser side encodes with encodeURIComponent, which
// writes a space as %20, and addresses contain '+'.

#include <optional>
#include <string>
#include <string_view>

#include "appliance/env/status.h"

namespace lifeboat::webmail {

// The decoded value of the only parameter `name` in the query of `target`; nullopt when absent.
// InvalidArgument for a bad %XX escape, a NUL or control byte, a repeated name, or a value above
// kQueryValueBytesMax.
Result<std::optional<std::string>> QueryParameter(std::string_view target, std::string_view name);

}  // namespace lifeboat::webmail
