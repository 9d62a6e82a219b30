#define _POSIX_C_SOURCE 200809L
#include "image/slot/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "image/slot/slot_store.h"

enum { kTarBlockBytes = 512 };
enum { kCopyChunkBytes = 1 << 16 };
// After the last member: the two zero blocks that end a ustar archive, and nothing else.
enum { kTrailerBytes = 2 * kTarBlockBytes };

static const char* const kMemberNames[] = {"manifest", "manifest.sig", "rootfs.img"};
enum { kMemberCount = 3 };

const char* BundleResultName(BundleResult result) {
  switch (result) {
    case kBundleOk:
      return "ok";
    case kBundleErrorIo:
      return "io error";
    case kBundleErrorFormat:
      return "not a valid bundle";
    case kBundleErrorSignature:
      return "bad signature";
    case kBundleErrorManifest:
      return "bad manifest";
    case kBundleErrorDigest:
      return "image does not match its manifest";
    case kBundleErrorKey:
      return "bad public key";
  }
  return "unknown";
}

static BundleResult Fail(BundleError* error, BundleResult result, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(error->text, sizeof error->text, format, args);
  va_end(args);
  return result;
}

BundleResult BundleLoadPublicKey(const char* pem_path, EVP_PKEY** key, BundleError* error) {
  FILE* file = fopen(pem_path, "r");
  if (file == NULL) {
    return Fail(error, kBundleErrorKey, "%s: %s", pem_path, strerror(errno));
  }
  EVP_PKEY* loaded = PEM_read_PUBKEY(file, NULL, NULL, NULL);
  fclose(file);
  if (loaded == NULL) return Fail(error, kBundleErrorKey, "%s: not a PEM public key", pem_path);
  if (EVP_PKEY_get_base_id(loaded) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(loaded);
    return Fail(error, kBundleErrorKey, "%s: not an Ed25519 key", pem_path);
  }
  *key = loaded;
  return kBundleOk;
}

// Reads exactly `length` bytes at `offset`. A short read is a truncated bundle.
static BundleResult ReadAt(int fd, void* buffer, size_t length, off_t offset, BundleError* error) {
  size_t done = 0;
  while (done < length) {
    ssize_t got = pread(fd, (char*)buffer + done, length - done, offset + (off_t)done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Fail(error, kBundleErrorIo, "reading the bundle: %s", strerror(errno));
    if (got == 0) {
      return Fail(error, kBundleErrorFormat, "truncated at byte %lld",
                  (long long)offset + (long long)done);
    }
    done += (size_t)got;
  }
  return kBundleOk;
}

static bool AllZero(const unsigned char* bytes, size_t length) {
  for (size_t i = 0; i < length; i++) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

// A ustar numeric field: optional leading spaces, octal digits, then NULs or spaces to its end.
static bool ParseOctal(const unsigned char* field, size_t length, uint64_t* value) {
  size_t i = 0;
  while (i < length && field[i] == ' ') i++;
  uint64_t parsed = 0;
  size_t digits = 0;
  for (; i < length && field[i] >= '0' && field[i] <= '7'; i++, digits++) {
    if (parsed > (UINT64_MAX >> 3)) return false;
    parsed = parsed * 8 + (uint64_t)(field[i] - '0');
  }
  if (digits == 0) return false;
  for (; i < length; i++) {
    if (field[i] != ' ' && field[i] != '\0') return false;
  }
  *value = parsed;
  return true;
}

// POSIX.1-1988 ustar header (pax "ustar Interchange Format"): name 0..99, size 124..135, chksum
// 148..155 (the sum of the header's bytes with chksum read as spaces), typeflag 156, magic 257,
// prefix 345..499.
static BundleResult CheckHeader(const unsigned char* header, const char* expected_name,
                                uint64_t* size, BundleError* error) {
  uint64_t stored_sum;
  if (!ParseOctal(header + 148, 8, &stored_sum)) {
    return Fail(error, kBundleErrorFormat, "%s: bad header checksum field", expected_name);
  }
  uint64_t sum = 0;
  for (size_t i = 0; i < kTarBlockBytes; i++) {
    sum += (i >= 148 && i < 156) ? (unsigned char)' ' : header[i];
  }
  if (sum != stored_sum) {
    return Fail(error, kBundleErrorFormat, "%s: header checksum mismatch", expected_name);
  }
  if (memcmp(header + 257, "ustar", 5) != 0) {
    return Fail(error, kBundleErrorFormat, "%s: not a ustar header", expected_name);
  }
  if (header[156] != '0' && header[156] != '\0') {
    return Fail(error, kBundleErrorFormat, "%s: not a regular file", expected_name);
  }
  size_t name_length = strnlen((const char*)header, 100);
  if (name_length != strlen(expected_name) || memcmp(header, expected_name, name_length) != 0 ||
      header[345] != '\0') {
    return Fail(error, kBundleErrorFormat, "member %.100s where %s was expected",
                (const char*)header, expected_name);
  }
  if (!ParseOctal(header + 124, 12, size)) {
    return Fail(error, kBundleErrorFormat, "%s: bad size field", expected_name);
  }
  return kBundleOk;
}

static uint64_t PaddingOf(uint64_t size) {
  return (kTarBlockBytes - size % kTarBlockBytes) % kTarBlockBytes;
}

static BundleResult ExpectZeros(int fd, off_t offset, uint64_t length, const char* what,
                                BundleError* error) {
  unsigned char buffer[kTarBlockBytes];
  while (length > 0) {
    size_t chunk = length < sizeof buffer ? (size_t)length : sizeof buffer;
    BundleResult result = ReadAt(fd, buffer, chunk, offset, error);
    if (result != kBundleOk) return result;
    if (!AllZero(buffer, chunk)) {
      return Fail(error, kBundleErrorFormat, "non-zero byte in %s at %lld", what,
                  (long long)offset);
    }
    offset += (off_t)chunk;
    length -= chunk;
  }
  return kBundleOk;
}

// Hashes `length` bytes at `offset` of `in`; when out_fd >= 0, writes them there too.
static BundleResult HashRange(int in_fd, off_t offset, uint64_t length, int out_fd,
                              unsigned char digest[32], BundleError* error) {
  static unsigned char buffer[kCopyChunkBytes];
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == NULL || EVP_DigestInit_ex(context, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(context);
    return Fail(error, kBundleErrorIo, "SHA-256 unavailable");
  }
  BundleResult result = kBundleOk;
  while (length > 0 && result == kBundleOk) {
    size_t chunk = length < sizeof buffer ? (size_t)length : sizeof buffer;
    result = ReadAt(in_fd, buffer, chunk, offset, error);
    if (result != kBundleOk) break;
    EVP_DigestUpdate(context, buffer, chunk);
    for (size_t written = 0; out_fd >= 0 && written < chunk;) {
      ssize_t put = write(out_fd, buffer + written, chunk - written);
      if (put < 0 && errno == EINTR) continue;
      if (put < 0) {
        result = Fail(error, kBundleErrorIo, "writing the slot: %s", strerror(errno));
        break;
      }
      written += (size_t)put;
    }
    offset += (off_t)chunk;
    length -= chunk;
  }
  unsigned int digest_length = 0;
  if (result == kBundleOk) EVP_DigestFinal_ex(context, digest, &digest_length);
  EVP_MD_CTX_free(context);
  return result;
}

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// One manifest line: "key=value" without its newline.
static BundleResult ParseManifestLine(const char* line, size_t length, BundleManifest* manifest,
                                      unsigned* seen, BundleError* error) {
  const char* equals = memchr(line, '=', length);
  if (equals == NULL) return Fail(error, kBundleErrorManifest, "a line without '='");
  size_t key_length = (size_t)(equals - line);
  const char* value = equals + 1;
  size_t value_length = length - key_length - 1;
#define KEY_IS(name) (key_length == sizeof(name) - 1 && memcmp(line, name, key_length) == 0)
#define VALUE_IS(text) (value_length == sizeof(text) - 1 && memcmp(value, text, value_length) == 0)
  unsigned bit;
  if (KEY_IS("format")) {
    if (!VALUE_IS("lifeboat-bundle-1")) return Fail(error, kBundleErrorManifest, "format");
    bit = 1;
  } else if (KEY_IS("version")) {
    if (value_length == 0 || value_length >= kBundleVersionBytesMax) {
      return Fail(error, kBundleErrorManifest, "version");
    }
    for (size_t i = 0; i < value_length; i++) {
      if (value[i] <= ' ' || value[i] > '~') return Fail(error, kBundleErrorManifest, "version");
    }
    memcpy(manifest->version, value, value_length);
    manifest->version[value_length] = '\0';
    bit = 2;
  } else if (KEY_IS("image")) {
    if (!VALUE_IS("rootfs.img")) return Fail(error, kBundleErrorManifest, "image");
    bit = 4;
  } else if (KEY_IS("bytes")) {
    uint64_t bytes = 0;
    if (value_length == 0 || value_length > 19) return Fail(error, kBundleErrorManifest, "bytes");
    for (size_t i = 0; i < value_length; i++) {
      if (value[i] < '0' || value[i] > '9') return Fail(error, kBundleErrorManifest, "bytes");
      bytes = bytes * 10 + (uint64_t)(value[i] - '0');
    }
    manifest->image_bytes = bytes;
    bit = 8;
  } else if (KEY_IS("sha256")) {
    if (value_length != 64) return Fail(error, kBundleErrorManifest, "sha256");
    for (size_t i = 0; i < 32; i++) {
      int high = HexValue(value[2 * i]), low = HexValue(value[2 * i + 1]);
      if (high < 0 || low < 0) return Fail(error, kBundleErrorManifest, "sha256");
      manifest->image_sha256[i] = (unsigned char)(high * 16 + low);
    }
    bit = 16;
  } else {
    return Fail(error, kBundleErrorManifest, "unknown key %.*s", (int)key_length, line);
  }
#undef KEY_IS
#undef VALUE_IS
  if (*seen & bit) return Fail(error, kBundleErrorManifest, "a key given twice");
  *seen |= bit;
  return kBundleOk;
}

static BundleResult ParseManifest(BundleManifest* manifest, BundleError* error) {
  const char* text = manifest->text;
  size_t length = manifest->text_bytes;
  if (memchr(text, '\0', length) != NULL) return Fail(error, kBundleErrorManifest, "NUL byte");
  unsigned seen = 0;
  size_t start = 0;
  while (start < length) {
    const char* newline = memchr(text + start, '\n', length - start);
    if (newline == NULL) return Fail(error, kBundleErrorManifest, "no final newline");
    size_t line_length = (size_t)(newline - (text + start));
    BundleResult result = ParseManifestLine(text + start, line_length, manifest, &seen, error);
    if (result != kBundleOk) return result;
    start += line_length + 1;
  }
  if (seen != 31) return Fail(error, kBundleErrorManifest, "a key is missing");
  return kBundleOk;
}

static BundleResult VerifySignature(EVP_PKEY* key, const BundleManifest* manifest,
                                    const unsigned char* signature, BundleError* error) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  // Ed25519 is PureEdDSA: no separate digest (RFC 8032 section 5.1), hence the NULL md.
  int verified = context != NULL && EVP_DigestVerifyInit(context, NULL, NULL, NULL, key) == 1 &&
                 EVP_DigestVerify(context, signature, kBundleSignatureBytes,
                                  (const unsigned char*)manifest->text, manifest->text_bytes) == 1;
  EVP_MD_CTX_free(context);
  if (!verified) {
    return Fail(error, kBundleErrorSignature, "the manifest's signature does not verify");
  }
  return kBundleOk;
}

BundleResult BundleVerify(int bundle_fd, EVP_PKEY* key, BundleManifest* manifest,
                          BundleError* error) {
  memset(manifest, 0, sizeof *manifest);
  unsigned char signature[kBundleSignatureBytes];
  unsigned char image_digest[32];
  uint64_t image_bytes = 0;
  off_t offset = 0;
  for (int member = 0; member < kMemberCount; member++) {
    unsigned char header[kTarBlockBytes];
    uint64_t size;
    BundleResult result = ReadAt(bundle_fd, header, sizeof header, offset, error);
    if (result == kBundleOk) result = CheckHeader(header, kMemberNames[member], &size, error);
    if (result != kBundleOk) return result;
    offset += kTarBlockBytes;
    if (member == 0) {
      if (size == 0 || size > kBundleManifestBytesMax) {
        return Fail(error, kBundleErrorFormat, "manifest of %llu bytes", (unsigned long long)size);
      }
      result = ReadAt(bundle_fd, manifest->text, (size_t)size, offset, error);
      manifest->text_bytes = (size_t)size;
    } else if (member == 1) {
      if (size != kBundleSignatureBytes) {
        return Fail(error, kBundleErrorFormat, "signature of %llu bytes", (unsigned long long)size);
      }
      result = ReadAt(bundle_fd, signature, sizeof signature, offset, error);
    } else {
      if (size > kBundleImageBytesMax) {
        return Fail(error, kBundleErrorFormat, "image of %llu bytes", (unsigned long long)size);
      }
      manifest->image_offset = offset;
      image_bytes = size;
      result = HashRange(bundle_fd, offset, size, -1, image_digest, error);
    }
    if (result != kBundleOk) return result;
    offset += (off_t)size;
    result = ExpectZeros(bundle_fd, offset, PaddingOf(size), "padding", error);
    if (result != kBundleOk) return result;
    offset += (off_t)PaddingOf(size);
  }
  // The end: exactly the two zero blocks of a ustar archive (make-bundle writes 512-byte records),
  // so that a bundle cut anywhere, even in its trailer, is refused.
  off_t end = lseek(bundle_fd, 0, SEEK_END);
  if (end < 0) return Fail(error, kBundleErrorIo, "seeking the bundle: %s", strerror(errno));
  if (end - offset != kTrailerBytes) {
    return Fail(error, kBundleErrorFormat, "%lld bytes after the image, not the %d of the end",
                (long long)(end - offset), kTrailerBytes);
  }
  BundleResult result = ExpectZeros(bundle_fd, offset, kTrailerBytes, "trailer", error);
  if (result != kBundleOk) return result;

  // Only a signed manifest is parsed.
  result = VerifySignature(key, manifest, signature, error);
  if (result == kBundleOk) result = ParseManifest(manifest, error);
  if (result != kBundleOk) return result;
  if (manifest->image_bytes != image_bytes ||
      memcmp(manifest->image_sha256, image_digest, sizeof image_digest) != 0) {
    return Fail(error, kBundleErrorDigest, "rootfs.img is not the image the manifest signs");
  }
  return kBundleOk;
}

BundleResult BundleInstall(int bundle_fd, const BundleManifest* manifest,
                           const char* slot_image_path, BundleError* error) {
  char partial[PATH_MAX];
  if (snprintf(partial, sizeof partial, "%s.partial", slot_image_path) >= (int)sizeof partial) {
    return Fail(error, kBundleErrorIo, "slot path too long");
  }
  int out_fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) return Fail(error, kBundleErrorIo, "%s: %s", partial, strerror(errno));
  unsigned char digest[32];
  BundleResult result =
      HashRange(bundle_fd, manifest->image_offset, manifest->image_bytes, out_fd, digest, error);
  if (result == kBundleOk && memcmp(digest, manifest->image_sha256, sizeof digest) != 0) {
    result = Fail(error, kBundleErrorDigest, "the bundle changed after it was verified");
  }
  if (result == kBundleOk && fsync(out_fd) != 0) {
    result = Fail(error, kBundleErrorIo, "fsync %s: %s", partial, strerror(errno));
  }
  if (close(out_fd) != 0 && result == kBundleOk) {
    result = Fail(error, kBundleErrorIo, "close %s: %s", partial, strerror(errno));
  }
  if (result == kBundleOk && rename(partial, slot_image_path) != 0) {
    result = Fail(error, kBundleErrorIo, "rename to %s: %s", slot_image_path, strerror(errno));
  }
  if (result != kBundleOk) {
    unlink(partial);
    return result;
  }
  if (SlotStoreSyncParentDirectory(slot_image_path) != kSlotStoreOk) {
    return Fail(error, kBundleErrorIo, "fsync the slot directory: %s", strerror(errno));
  }
  return kBundleOk;
}
