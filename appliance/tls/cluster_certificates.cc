#include "appliance/tls/cluster_certificates.h"

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

// Clock skew between the machine that signs and the nodes that verify.
constexpr time_t kBackdateSeconds = 3600;
constexpr time_t kSecondsPerDay = 86400;

Status OpensslError(const std::string& what) {
  char buffer[256] = "unknown error";
  unsigned long code = ERR_get_error();
  if (code != 0) ERR_error_string_n(code, buffer, sizeof(buffer));
  return Status::IoError("cluster certificates: " + what + ": " + buffer);
}

Status AddExtension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return OpensslError(std::string("extension ") + value);
  }
  return Status::Ok();
}

// A certificate for `key` named `common_name`, valid for `days`, issuer and extensions unset.
Result<X509Ptr> NewCertificate(Env& env, EVP_PKEY* key, const std::string& common_name, int days) {
  X509Ptr certificate(X509_new());
  if (!certificate) return OpensslError("X509_new");
  X509_set_version(certificate.get(), X509_VERSION_3);
  // RFC 5280 section 4.1.2.2: a positive serial of at most 20 octets; 63 random bits.
  BignumPtr serial(BN_new());
  BN_set_word(serial.get(), env.RandomU64() >> 1);
  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate.get()));
  const time_t now = static_cast<time_t>(env.WallNow().count() / 1'000'000);
  if (ASN1_TIME_set(X509_getm_notBefore(certificate.get()), now - kBackdateSeconds) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(certificate.get()), now + time_t{days} * kSecondsPerDay) ==
          nullptr) {
    return OpensslError("validity");
  }
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Lifeboat cluster"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_pubkey(certificate.get(), key);
  return certificate;
}

Result<FILE*> OpenForWrite(const std::string& path, mode_t mode, bool exclusive) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
  const int fd = open(path.c_str(), flags, mode);
  if (fd < 0) {
    return Status::IoError("cluster certificates: cannot create " + path + ": " +
                           std::strerror(errno));
  }
  FILE* file = fdopen(fd, "w");
  if (file == nullptr) {
    close(fd);
    return Status::IoError("cluster certificates: fdopen " + path + ": " + std::strerror(errno));
  }
  return file;
}

Status WriteKeyAndCertificate(EVP_PKEY* key, X509* certificate, const std::string& key_path,
                              const std::string& certificate_path) {
  auto key_file = OpenForWrite(key_path, 0600, /*exclusive=*/true);
  if (!key_file.ok()) return key_file.status();
  const bool key_written =
      PEM_write_PrivateKey(*key_file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  const bool key_closed = std::fclose(*key_file) == 0;
  if (!key_written || !key_closed) return OpensslError("write " + key_path);
  auto certificate_file = OpenForWrite(certificate_path, 0644, /*exclusive=*/false);
  if (!certificate_file.ok()) return certificate_file.status();
  const bool written = PEM_write_X509(*certificate_file, certificate) == 1;
  const bool closed = std::fclose(*certificate_file) == 0;
  if (!written || !closed) return OpensslError("write " + certificate_path);
  return Status::Ok();
}

Result<X509Ptr> ReadCertificate(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    return Status::NotFound("cluster certificates: cannot read " + path + ": " +
                            std::strerror(errno));
  }
  X509Ptr certificate(PEM_read_X509(file, nullptr, nullptr, nullptr));
  std::fclose(file);
  if (!certificate) return OpensslError("parse " + path);
  return certificate;
}

Result<PkeyPtr> ReadKey(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    return Status::NotFound("cluster certificates: cannot read " + path + ": " +
                            std::strerror(errno));
  }
  PkeyPtr key(PEM_read_PrivateKey(file, nullptr, nullptr, nullptr));
  std::fclose(file);
  if (!key) return OpensslError("parse " + path);
  return key;
}

}  // namespace

std::string ClusterCaCertificatePath(const std::string& directory) {
  return directory + "/ca.pem";
}
std::string ClusterCaKeyPath(const std::string& directory) {
  return directory + "/ca.key";
}
std::string ClusterNodeCertificatePath(const std::string& directory, uint64_t node_id) {
  return directory + "/node-" + std::to_string(node_id) + ".pem";
}
std::string ClusterNodeKeyPath(const std::string& directory, uint64_t node_id) {
  return directory + "/node-" + std::to_string(node_id) + ".key";
}

Status CreateClusterCa(Env& env, const std::string& directory) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpensslError("EC P-256 key generation");
  auto made = NewCertificate(env, key.get(), "Lifeboat cluster CA", kClusterCaValidityDays);
  if (!made.ok()) return made.status();
  X509* certificate = made->get();
  X509_set_issuer_name(certificate, X509_get_subject_name(certificate));
  // RFC 5280 section 4.2.1.9: a CA that signs only end entities (path length 0).
  LB_RETURN_IF_ERROR(
      AddExtension(certificate, certificate, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  LB_RETURN_IF_ERROR(
      AddExtension(certificate, certificate, NID_key_usage, "critical,keyCertSign,cRLSign"));
  LB_RETURN_IF_ERROR(AddExtension(certificate, certificate, NID_subject_key_identifier, "hash"));
  if (X509_sign(certificate, key.get(), EVP_sha256()) == 0) return OpensslError("sign CA");
  return WriteKeyAndCertificate(key.get(), certificate, ClusterCaKeyPath(directory),
                                ClusterCaCertificatePath(directory));
}

Status IssueClusterNodeCertificate(Env& env, const std::string& directory, uint64_t node_id) {
  auto ca = ReadCertificate(ClusterCaCertificatePath(directory));
  if (!ca.ok()) return ca.status();
  auto ca_key = ReadKey(ClusterCaKeyPath(directory));
  if (!ca_key.ok()) return ca_key.status();
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpensslError("EC P-256 key generation");
  auto made = NewCertificate(env, key.get(), "lifeboat-node-" + std::to_string(node_id),
                             kClusterNodeCertificateValidityDays);
  if (!made.ok()) return made.status();
  X509* certificate = made->get();
  X509_set_issuer_name(certificate, X509_get_subject_name(ca->get()));
  LB_RETURN_IF_ERROR(
      AddExtension(certificate, ca->get(), NID_basic_constraints, "critical,CA:FALSE"));
  LB_RETURN_IF_ERROR(
      AddExtension(certificate, ca->get(), NID_key_usage, "critical,digitalSignature"));
  // Each node is the server of its listener and the client of its outbound connections.
  LB_RETURN_IF_ERROR(
      AddExtension(certificate, ca->get(), NID_ext_key_usage, "serverAuth,clientAuth"));
  LB_RETURN_IF_ERROR(
      AddExtension(certificate, ca->get(), NID_authority_key_identifier, "keyid:always"));
  if (X509_sign(certificate, ca_key->get(), EVP_sha256()) == 0) return OpensslError("sign node");
  return WriteKeyAndCertificate(key.get(), certificate, ClusterNodeKeyPath(directory, node_id),
                                ClusterNodeCertificatePath(directory, node_id));
}

}  // namespace lifeboat::tls
