#include "modules/delivery/dkim_signer.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstring>

#include "modules/delivery/opendkim_header.h"

namespace lifeboat::delivery {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A DNS label sequence (RFC 1035 section 2.3.1, digits allowed first as RFC 1123 says): the d=
// and s= values end up in a DNS name, so nothing else may pass.
bool IsDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '.') {
      if (label == 0 || name[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && !(c == '-' && label > 0)) return false;
    if (++label > 63) return false;
  }
  return label > 0 && name.back() != '-';
}

std::string Base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(written));
  return out;
}

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey ReadPrivateKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  Pkey key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return key;
}

// The p= value (RFC 6376 section 3.6.1): for RSA the DER SubjectPublicKeyInfo, for Ed25519 the
// raw 32-byte public key (RFC 8463 section 4.2), each in base64.
Result<std::string> PublicKeyValue(EVP_PKEY* key, DkimAlgorithm algorithm) {
  if (algorithm == DkimAlgorithm::kEd25519Sha256) {
    unsigned char raw[32];
    size_t size = sizeof(raw);
    if (EVP_PKEY_get_raw_public_key(key, raw, &size) != 1) {
      return Status::InvalidArgument("cannot extract the Ed25519 public key");
    }
    return Base64(raw, size);
  }
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  if (size <= 0) return Status::InvalidArgument("cannot encode the RSA public key");
  std::string value = Base64(der, static_cast<size_t>(size));
  OPENSSL_free(der);
  return value;
}

std::string DkimError(DKIM* dkim, DKIM_STAT status) {
  std::string text = dkim_getresultstr(status);
  const char* detail = dkim != nullptr ? dkim_geterror(dkim) : nullptr;
  if (detail != nullptr && detail[0] != '\0') text += std::string(": ") + detail;
  return text;
}

}  // namespace

struct DkimSigner::Library {
  DKIM_LIB* handle = nullptr;
  ~Library() {
    if (handle != nullptr) dkim_close(handle);
  }
};

Result<std::unique_ptr<DkimSigner>> DkimSigner::Create(std::vector<DkimKey> keys) {
  auto library = std::make_unique<Library>();
  library->handle = dkim_init(nullptr, nullptr);
  if (library->handle == nullptr) return Status::Unavailable("dkim: the library did not start");
  std::unique_ptr<DkimSigner> signer(new DkimSigner(std::move(library)));
  for (DkimKey& key : keys) {
    const std::string where = "dkim: key for " + key.domain + " (" + key.origin + ")";
    if (!IsDnsName(key.domain)) return Status::InvalidArgument(where + ": not a domain name");
    if (!IsDnsName(key.selector)) {
      return Status::InvalidArgument(where + ": selector '" + key.selector +
                                     "' is not a DNS label sequence");
    }
    key.domain = Lower(key.domain);
    if (signer->keys_.count(key.domain) != 0) {
      return Status::InvalidArgument(where + ": a second key for the same domain");
    }
    Pkey pkey = ReadPrivateKey(key.private_key_pem);
    if (pkey == nullptr) {
      return Status::InvalidArgument(where + ": not a PEM private key (expected \"-----BEGIN " +
                                     "PRIVATE KEY-----\" or \"-----BEGIN RSA PRIVATE KEY-----\")");
    }
    DkimAlgorithm algorithm;
    switch (EVP_PKEY_base_id(pkey.get())) {
      case EVP_PKEY_RSA:
        if (EVP_PKEY_bits(pkey.get()) < kDkimRsaKeyBitsMin) {
          return Status::InvalidArgument(
              where + ": an RSA key of " + std::to_string(EVP_PKEY_bits(pkey.get())) +
              " bits; RFC 8301 requires at least " + std::to_string(kDkimRsaKeyBitsMin));
        }
        algorithm = DkimAlgorithm::kRsaSha256;
        break;
      case EVP_PKEY_ED25519:
        if (!dkim_libfeature(signer->library_->handle, DKIM_FEATURE_ED25519)) {
          return Status::InvalidArgument(where + ": this libopendkim has no ed25519-sha256");
        }
        algorithm = DkimAlgorithm::kEd25519Sha256;
        break;
      default:
        return Status::InvalidArgument(where + ": neither an RSA nor an Ed25519 key");
    }
    Result<std::string> public_value = PublicKeyValue(pkey.get(), algorithm);
    if (!public_value.ok())
      return Status::InvalidArgument(where + ": " + public_value.status().message());
    Loaded loaded;
    loaded.algorithm = algorithm;
    loaded.public_record = std::string("v=DKIM1; k=") +
                           (algorithm == DkimAlgorithm::kRsaSha256 ? "rsa" : "ed25519") +
                           "; p=" + *public_value;
    loaded.key = std::move(key);
    std::string domain = loaded.key.domain;
    signer->keys_.emplace(std::move(domain), std::move(loaded));
  }
  return signer;
}

DkimSigner::DkimSigner(std::unique_ptr<Library> library) : library_(std::move(library)) {}

DkimSigner::~DkimSigner() = default;

const DkimSigner::Loaded* DkimSigner::Find(std::string_view domain) const {
  auto found = keys_.find(Lower(domain));
  return found == keys_.end() ? nullptr : &found->second;
}

bool DkimSigner::SignsFor(std::string_view domain) const {
  return Find(domain) != nullptr;
}

DkimAlgorithm DkimSigner::algorithm(std::string_view domain) const {
  const Loaded* loaded = Find(domain);
  LB_CHECK(loaded != nullptr);
  return loaded->algorithm;
}

Result<std::string> DkimSigner::PublicKeyRecord(std::string_view domain) const {
  const Loaded* loaded = Find(domain);
  if (loaded == nullptr) return Status::NotFound("dkim: no key for " + std::string(domain));
  return loaded->public_record;
}

Result<std::string> DkimSigner::Sign(std::string_view domain, std::string_view message,
                                     WallTime now) {
  const Loaded* loaded = Find(domain);
  if (loaded == nullptr) return Status::NotFound("dkim: no key for " + std::string(domain));
  // t= comes from the caller's clock (the Env), not the library's call to time().
  uint64_t fixed_time =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count());
  DKIM_STAT status = dkim_options(library_->handle, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME,
                                  &fixed_time, sizeof(fixed_time));
  if (status != DKIM_STAT_OK) return Status::Unavailable("dkim: " + DkimError(nullptr, status));

  const std::string id = "lifeboat-" + std::to_string(++signed_count_);
  const dkim_alg_t algorithm = loaded->algorithm == DkimAlgorithm::kRsaSha256
                                   ? DKIM_SIGN_RSASHA256
                                   : DKIM_SIGN_ED25519SHA256;
  // The library keeps the key pointer until dkim_free: `loaded` outlives the handle.
  DKIM* dkim = dkim_sign(
      library_->handle, reinterpret_cast<const unsigned char*>(id.c_str()), nullptr,
      reinterpret_cast<dkim_sigkey_t>(const_cast<char*>(loaded->key.private_key_pem.c_str())),
      reinterpret_cast<const unsigned char*>(loaded->key.selector.c_str()),
      reinterpret_cast<const unsigned char*>(loaded->key.domain.c_str()), DKIM_CANON_RELAXED,
      DKIM_CANON_RELAXED, algorithm, -1, &status);
  if (dkim == nullptr) {
    return Status::InvalidArgument("dkim: cannot start signing: " + DkimError(nullptr, status));
  }
  struct Free {
    DKIM* dkim;
    ~Free() { dkim_free(dkim); }
  } free_on_return{dkim};

  // dkim_chunk splits headers from body itself; the message is copied because the C API takes a
  // mutable buffer.
  std::string copy(message);
  status = dkim_chunk(dkim, reinterpret_cast<unsigned char*>(copy.data()), copy.size());
  if (status == DKIM_STAT_OK) status = dkim_chunk(dkim, nullptr, 0);
  if (status != DKIM_STAT_OK) {
    return Status::InvalidArgument("dkim: message refused: " + DkimError(dkim, status));
  }
  status = dkim_eom(dkim, nullptr);
  if (status != DKIM_STAT_OK) {
    return Status::InvalidArgument("dkim: signing failed: " + DkimError(dkim, status));
  }
  static constexpr std::string_view kName = "DKIM-Signature: ";
  std::string value(kDkimSignatureHeaderBytesMax, '\0');
  status = dkim_getsighdr(dkim, reinterpret_cast<unsigned char*>(value.data()), value.size(),
                          kName.size());
  if (status != DKIM_STAT_OK) {
    return Status::InvalidArgument("dkim: no signature header: " + DkimError(dkim, status));
  }
  value.resize(std::strlen(value.c_str()));
  // The library folds with bare LF ("\n\t"); on the wire every line ends in CRLF (RFC 5322
  // section 2.2.3), never a bare LF.
  std::string header(kName);
  for (char c : value) {
    if (c == '\n') header += '\r';
    if (c != '\r') header += c;
  }
  header += "\r\n";
  return header;
}

}  // namespace lifeboat::delivery
