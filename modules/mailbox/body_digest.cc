#include "modules/mailbox/body_digest.h"

#include <openssl/evp.h>

#include "appliance/env/check.h"

namespace lifeboat::mailbox {

std::string BodySha256(std::string_view raw) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  LB_CHECK(EVP_Digest(raw.data(), raw.size(), digest, &length, EVP_sha256(), nullptr) == 1);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace lifeboat::mailbox
