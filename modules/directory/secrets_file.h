#pragma once
// Secrets (the directory bind password) live in files readable by the appliance user only, never
// in the TOML config or the log.

#include <string>

#include "appliance/env/status.h"

namespace lifeboat::directory {

inline constexpr size_t kSecretFileBytesMax = 4096;

// The file's content without a trailing newline. FailedPrecondition when the group or others
// have any permission on it (a readable secret is already leaked: refuse rather than use it),
// IoError when it cannot be read, InvalidArgument when empty or larger than kSecretFileBytesMax.
Result<std::string> ReadSecretFile(const std::string& path);

}  // namespace lifeboat::directory
