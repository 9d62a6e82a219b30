// [tls]: the certificate and key the public listeners present. Checked at load time so a wrong
// path fails the start, not the first STARTTLS hours later.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "appliance/config/sections.h"

namespace lifeboat::config {

namespace {

Result<std::optional<std::string>> TakeReadableFile(ConfigSection& section, std::string_view key,
                                                    std::string_view expected) {
  auto path = section.TakeString(key, expected);
  if (!path.ok() || !path->has_value()) return path;
  const std::string& file = **path;
  if (file.empty() || file.front() != '/') return section.Invalid(key, expected, "not absolute");
  if (access(file.c_str(), R_OK) != 0) {
    return section.Invalid(key, expected,
                           std::string("cannot read it (") + std::strerror(errno) + ")");
  }
  return path;
}

}  // namespace

Status ParseTlsSection(ConfigSection& section, Config& config) {
  constexpr std::string_view kCertificateExpected =
      "an absolute path to a readable PEM certificate";
  constexpr std::string_view kKeyExpected = "an absolute path to a readable PEM private key";
  auto certificate = TakeReadableFile(section, "certificate", kCertificateExpected);
  if (!certificate.ok()) return certificate.status();
  auto private_key = TakeReadableFile(section, "private_key", kKeyExpected);
  if (!private_key.ok()) return private_key.status();
  // Both or neither: a certificate without its key is a half-done edit.
  if (certificate->has_value() && !private_key->has_value()) {
    return section.Missing("private_key", kKeyExpected);
  }
  if (private_key->has_value() && !certificate->has_value()) {
    return section.Missing("certificate", kCertificateExpected);
  }
  config.tls.certificate = *certificate;
  config.tls.private_key = *private_key;
  return Status::Ok();
}

}  // namespace lifeboat::config
