#include "appliance/dkim_keys.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace lifeboat {

Result<std::unique_ptr<delivery::DkimSigner>> LoadDkimSigner(const config::DkimConfig& config) {
  std::vector<delivery::DkimKey> keys;
  for (const config::DkimKeyConfig& entry : config.keys) {
    const std::string where = "dkim: key for " + entry.domain + " (" + entry.key_file + ")";
    std::ifstream file(entry.key_file, std::ios::binary);
    if (!file) return Status::IoError(where + ": cannot open: " + std::strerror(errno));
    std::string text(kDkimKeyFileBytesMax + 1, '\0');
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (file.bad()) return Status::IoError(where + ": cannot read");
    text.resize(static_cast<size_t>(file.gcount()));
    if (text.size() > kDkimKeyFileBytesMax) {
      return Status::InvalidArgument(where + ": larger than " +
                                     std::to_string(kDkimKeyFileBytesMax) + " bytes: not a key");
    }
    delivery::DkimKey key;
    key.domain = entry.domain;
    key.selector = entry.selector;
    key.private_key_pem = std::move(text);
    key.origin = entry.key_file;
    keys.push_back(std::move(key));
  }
  return delivery::DkimSigner::Create(std::move(keys));
}

}  // namespace lifeboat
