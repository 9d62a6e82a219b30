#pragma once
// The content hash that names a body (BodyRefs keys, MessageEntry.body_sha256_hex,
// MailReceived.body_sha256): SHA-256 of the raw message bytes.

#include <string>
#include <string_view>

namespace lifeboat::mailbox {

// The 32-byte binary digest.
std::string BodySha256(std::string_view raw);

}  // namespace lifeboat::mailbox
