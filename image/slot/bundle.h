#pragma once
// Update bundles: a ustar archive of exactly three members, in this order,
//   manifest      text, "key=value" lines: format, version, image, bytes, sha256 (hex)
//   manifest.sig  the 64-byte Ed25519 signature (RFC 8032) of the manifest's bytes
//   rootfs.img    the root filesystem image for the inactive slot
// made by image/make-bundle. Every byte of the file is accounted for: headers carry their
// checksum, the manifest is signed, the image's SHA-256 and size are in the manifest, and the
// padding and the two end-of-archive blocks must be zero, and nothing may follow them. So one
// flipped byte anywhere, a truncation or a signature by another key is refused.
//
// BundleVerify reads the whole bundle and writes nothing. BundleInstall, called only after it,
// copies the image to the slot: to "<slot>.partial", hashing again as it copies (the bundle could
// have changed since it was verified), and renames it into place only when the digest matches.

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { kBundleManifestBytesMax = 4096 };
enum { kBundleSignatureBytes = 64 };   // Ed25519, RFC 8032 section 5.1.6
enum { kBundleVersionBytesMax = 64 };  // the manifest's version string
enum { kBundleErrorTextBytesMax = 256 };
// An image larger than this is refused before it is hashed.
#define kBundleImageBytesMax ((uint64_t)8 << 30)

typedef enum {
  kBundleOk = 0,
  kBundleErrorIo,         // reading the bundle or writing the slot failed (errno in the text)
  kBundleErrorFormat,     // not a bundle: tar framing, members, truncation, non-zero padding
  kBundleErrorSignature,  // the manifest's signature does not verify with the key
  kBundleErrorManifest,   // the signed manifest is malformed
  kBundleErrorDigest,     // the image's size or SHA-256 is not the manifest's
  kBundleErrorKey,        // the public key cannot be read or is not Ed25519
} BundleResult;

typedef struct {
  char text[kBundleManifestBytesMax + 1];  // the signed manifest, NUL-terminated
  size_t text_bytes;
  char version[kBundleVersionBytesMax];
  uint64_t image_bytes;
  unsigned char image_sha256[32];
  off_t image_offset;  // where rootfs.img's bytes start in the bundle file
} BundleManifest;

typedef struct {
  char text[kBundleErrorTextBytesMax];
} BundleError;

const char* BundleResultName(BundleResult result);

// Reads an Ed25519 public key (PEM, "BEGIN PUBLIC KEY"). The caller frees it (EVP_PKEY_free).
BundleResult BundleLoadPublicKey(const char* pem_path, EVP_PKEY** key, BundleError* error);

// Reads the bundle at `bundle_fd` from offset 0 to its end (pread: the offset is not moved) and
// checks it against `key`. On kBundleOk, *manifest describes the verified image.
BundleResult BundleVerify(int bundle_fd, EVP_PKEY* key, BundleManifest* manifest,
                          BundleError* error);

// Copies the image BundleVerify described into `slot_image_path` (see above). Nothing is left at
// `slot_image_path` or its ".partial" when it fails.
BundleResult BundleInstall(int bundle_fd, const BundleManifest* manifest,
                           const char* slot_image_path, BundleError* error);

#ifdef __cplusplus
}
#endif
