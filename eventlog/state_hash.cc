#include "eventlog/state_hash.h"

#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>

#include "appliance/env/check.h"

namespace lifeboat::eventlog {
namespace {

struct DigestContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

void UpdateWithLength(EVP_MD_CTX* context, const leveldb::Slice& bytes) {
  std::array<unsigned char, 8> length;
  uint64_t size = bytes.size();
  for (size_t i = 0; i < length.size(); ++i) {
    length[length.size() - 1 - i] = static_cast<unsigned char>(size >> (8 * i));
  }
  LB_CHECK(EVP_DigestUpdate(context, length.data(), length.size()) == 1);
  LB_CHECK(EVP_DigestUpdate(context, bytes.data(), bytes.size()) == 1);
}

}  // namespace

Result<std::string> HashStateDatabase(leveldb::DB& db) {
  std::unique_ptr<EVP_MD_CTX, DigestContextFree> context(EVP_MD_CTX_new());
  // Allocation or digest setup failing is not an operating condition we can act on.
  LB_CHECK(context != nullptr);
  LB_CHECK(EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) == 1);

  leveldb::ReadOptions read_options;
  read_options.fill_cache = false;  // a full scan would only evict what modules read
  read_options.verify_checksums = true;
  std::unique_ptr<leveldb::Iterator> it(db.NewIterator(read_options));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    UpdateWithLength(context.get(), it->key());
    UpdateWithLength(context.get(), it->value());
  }
  if (!it->status().ok()) {
    std::string message = "state hash scan: " + it->status().ToString();
    if (it->status().IsCorruption()) return Status::Corruption(std::move(message));
    return Status::IoError(std::move(message));
  }

  std::array<unsigned char, EVP_MAX_MD_SIZE> digest;
  unsigned int digest_bytes = 0;
  LB_CHECK(EVP_DigestFinal_ex(context.get(), digest.data(), &digest_bytes) == 1);
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * digest_bytes);
  for (unsigned int i = 0; i < digest_bytes; ++i) {
    hex.push_back(kHexDigits[digest[i] >> 4]);
    hex.push_back(kHexDigits[digest[i] & 0xf]);
  }
  return hex;
}

}  // namespace lifeboat::eventlog
