#pragma once
// A self-signed ECDSA P-256 certificate for the demo (`lifeboat demo`): SAN DNS:localhost and
// IP:127.0.0.1, valid from an hour ago (clock skew) for kDemoCertificateValidityDays. Made with
// the OpenSSL 3 API; serial number and times come from the Env, never from OpenSSL's clock.

#include <string>

#include "appliance/env/env.h"
#include "appliance/env/status.h"

namespace lifeboat::tls {

inline constexpr int kDemoCertificateValidityDays = 365;

// Writes the PEM certificate to `certificate_path` (0644) and the PKCS#8 PEM key to `key_path`
// (0600, created exclusively: an existing key is never overwritten).
Status WriteSelfSignedCertificate(Env& env, const std::string& certificate_path,
                                  const std::string& key_path);

}  // namespace lifeboat::tls
