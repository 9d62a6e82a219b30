#include "appliance/tls/self_signed_certificate.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace lifeboat::tls {

namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* pointer) const {
    Free(pointer);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

Status OpensslError(const std::string& what) {
  char buffer[256] = "unknown error";
  unsigned long code = ERR_get_error();
  if (code != 0) ERR_error_string_n(code, buffer, sizeof(buffer));
  return Status::IoError("tls: " + what + ": " + buffer);
}

Status AddExtension(X509* certificate, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return OpensslError(std::string("extension ") + value);
  }
  return Status::Ok();
}

// Opens `path` for writing with `mode`; exclusive creation when `exclusive`.
Result<FILE*> OpenForWrite(const std::string& path, mode_t mode, bool exclusive) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
  int fd = open(path.c_str(), flags, mode);
  if (fd < 0) return Status::IoError("tls: cannot create " + path + ": " + std::strerror(errno));
  FILE* file = fdopen(fd, "w");
  if (file == nullptr) {
    close(fd);
    return Status::IoError("tls: fdopen " + path + ": " + std::strerror(errno));
  }
  return file;
}

}  // namespace

Status WriteSelfSignedCertificate(Env& env, const std::string& certificate_path,
                                  const std::string& key_path) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpensslError("EC P-256 key generation");

  X509Ptr certificate(X509_new());
  if (!certificate) return OpensslError("X509_new");
  X509_set_version(certificate.get(), X509_VERSION_3);
  // RFC 5280 section 4.1.2.2: a positive serial of at most 20 octets; 63 random bits.
  BignumPtr serial(BN_new());
  BN_set_word(serial.get(), env.RandomU64() >> 1);
  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate.get()));

  time_t now = static_cast<time_t>(env.WallNow().count() / 1'000'000);
  constexpr time_t kBackdateSeconds = 3600;
  if (ASN1_TIME_set(X509_getm_notBefore(certificate.get()), now - kBackdateSeconds) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(certificate.get()),
                    now + time_t{kDemoCertificateValidityDays} * 86400) == nullptr) {
    return OpensslError("validity");
  }
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Lifeboat demo"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(certificate.get(), name);
  X509_set_pubkey(certificate.get(), key.get());
  LB_RETURN_IF_ERROR(AddExtension(certificate.get(), NID_basic_constraints, "critical,CA:FALSE"));
  LB_RETURN_IF_ERROR(AddExtension(certificate.get(), NID_key_usage, "critical,digitalSignature"));
  LB_RETURN_IF_ERROR(AddExtension(certificate.get(), NID_ext_key_usage, "serverAuth"));
  // RFC 6125: clients match the SAN, not the CN.
  LB_RETURN_IF_ERROR(
      AddExtension(certificate.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"));
  if (X509_sign(certificate.get(), key.get(), EVP_sha256()) == 0) return OpensslError("sign");

  auto key_file = OpenForWrite(key_path, 0600, /*exclusive=*/true);
  if (!key_file.ok()) return key_file.status();
  bool key_written =
      PEM_write_PrivateKey(*key_file, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  bool key_closed = std::fclose(*key_file) == 0;
  if (!key_written || !key_closed) return OpensslError("write " + key_path);

  auto certificate_file = OpenForWrite(certificate_path, 0644, /*exclusive=*/false);
  if (!certificate_file.ok()) return certificate_file.status();
  bool written = PEM_write_X509(*certificate_file, certificate.get()) == 1;
  bool closed = std::fclose(*certificate_file) == 0;
  if (!written || !closed) return OpensslError("write " + certificate_path);
  return Status::Ok();
}

}  // namespace lifeboat::tls
