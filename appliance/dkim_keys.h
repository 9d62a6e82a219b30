#pragma once
// Reads the [dkim] key files and builds the signer (modules/delivery/dkim_signer.h). Called at
// start so that a missing, unreadable or malformed key stops the node with the file named,
// rather than the first outbound mail going out unsigned.
//
// Ownership: the returned signer is the caller's. Threading: any thread (blocking file reads: at
// start, before the loop runs).

#include <memory>

#include "appliance/config/config.h"
#include "appliance/env/status.h"
#include "modules/delivery/dkim_signer.h"

namespace lifeboat {

// A DKIM private key file larger than this is not a key (a 4096-bit RSA PEM is about 3.3 KiB).
inline constexpr size_t kDkimKeyFileBytesMax = 64 * 1024;

// InvalidArgument or IoError naming the domain and the file: missing or unreadable file, a file
// over kDkimKeyFileBytesMax, and every error DkimSigner::Create reports.
Result<std::unique_ptr<delivery::DkimSigner>> LoadDkimSigner(const config::DkimConfig& config);

}  // namespace lifeboat
