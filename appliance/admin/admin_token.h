#pragma once
// The admin API bearer token: 32 random bytes from the Env, hex, in <data_dir>/admin.token with
// mode 0600, created at first start. Whoever can read that file (root, the lifeboat user) can
// administer the node; nobody else on the host can, even though the listener is loopback.

#include <string>
#include <string_view>

#include "appliance/env/env.h"
#include "appliance/env/status.h"

namespace lifeboat::admin {

inline constexpr std::string_view kAdminTokenFileName = "admin.token";
inline constexpr size_t kAdminTokenRandomBytes = 32;
inline constexpr size_t kAdminTokenFileBytesMax = 1024;

// Reads the token at `path`; if absent, creates it (O_EXCL, 0600, fsynced) from env randomness.
Result<std::string> LoadOrCreateAdminToken(const std::string& path, Env& env);
// Reads an existing token (the CLI); NotFound when the file does not exist.
Result<std::string> ReadAdminToken(const std::string& path);

// Compares without an early exit, so response time does not reveal the matching prefix.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace lifeboat::admin
