#pragma once
// DKIM signing of outbound mail (RFC 6376) through OpenDKIM's library (issue #11 Build 5): one key
// per sender domain, relaxed/relaxed canonicalization (section 3.4: survives the header
// re-folding and trailing-space changes relays make), rsa-sha256 (RFC 8301: rsa-sha1 is no longer
// allowed) or ed25519-sha256 (RFC 8463), chosen from the key's type.
//
// Pure as far as the caller sees: the key comes in as PEM text (appliance/dkim_keys.h reads the
// files named in [dkim]), the time comes in with the call (the signature's t= tag, RFC 6376
// section 3.5), and the same message, key and time give the same header for rsa-sha256 (RSA
// PKCS#1 v1.5 signatures are deterministic; so are Ed25519's).
//
// What it returns: the DKIM-Signature header field, folded, ending in CRLF, to be prepended to the
// message unchanged (section 5.6). The caller must send exactly the bytes it signed: a relay that
// changes the body after signing breaks the signature, which is what the tests check.
//
// Threading: Sign is thread-compatible, not thread-safe (it sets the library's fixed time per
// call): call it from one thread at a time, e.g. the loop thread or one SerialExecutor. RSA-2048
// signing costs about a millisecond, so a driver with many mails moves it off the loop.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/status.h"

namespace lifeboat::delivery {

// RFC 8301 section 3.2: signers MUST use RSA keys of at least 1024 bits; 2048 is what it
// recommends, and what verifiers increasingly require. Below 1024 the key is refused.
inline constexpr int kDkimRsaKeyBitsMin = 1024;
// The signature header is assembled in a buffer of this size; a 4096-bit RSA signature is 684
// base64 characters, the header with its tags well under 2 KiB.
inline constexpr size_t kDkimSignatureHeaderBytesMax = 8 * 1024;
// The headers signed are the library's default list (RFC 6376 section 5.4.1's recommendation:
// From, Subject, Date, To, Cc, Message-ID, MIME headers and the like; never Received or
// Return-Path, which relays add).

enum class DkimAlgorithm { kRsaSha256, kEd25519Sha256 };

struct DkimKey {
  std::string domain;           // d=, lower case: the sender domain this key signs for
  std::string selector;         // s=: the key is published at <selector>._domainkey.<domain>
  std::string private_key_pem;  // PKCS#8 or traditional PEM, RSA or Ed25519
  std::string origin;           // where the key came from ("/etc/lifeboat/dkim/x.pem"), for errors
};

class DkimSigner {
 public:
  // Checks every key: InvalidArgument naming the domain and origin for text that is not a PEM
  // private key, an RSA key below kDkimRsaKeyBitsMin, a key type other than RSA or Ed25519, a
  // malformed domain or selector, or a domain given twice. Unavailable when the library cannot
  // start (out of memory).
  static Result<std::unique_ptr<DkimSigner>> Create(std::vector<DkimKey> keys);
  ~DkimSigner();
  DkimSigner(const DkimSigner&) = delete;
  DkimSigner& operator=(const DkimSigner&) = delete;

  // True when mail from `domain` (case-insensitive) is signed.
  bool SignsFor(std::string_view domain) const;
  DkimAlgorithm algorithm(std::string_view domain) const;

  // Signs `message` (the whole mail as sent: headers, empty line, body; CRLF line ends) for
  // `domain` at time `now`. Returns "DKIM-Signature: v=1; a=...\r\n". Errors: NotFound when no key
  // signs for the domain; InvalidArgument when the library refuses the message (no header/body
  // separator, a malformed header line); the library's message otherwise.
  Result<std::string> Sign(std::string_view domain, std::string_view message, WallTime now);

  // The DNS TXT record an operator publishes at <selector>._domainkey.<domain> for this key
  // ("v=DKIM1; k=rsa; p=MIIB..."), RFC 6376 section 3.6.1; RFC 8463 section 4 for k=ed25519.
  Result<std::string> PublicKeyRecord(std::string_view domain) const;

 private:
  struct Loaded {
    DkimKey key;
    DkimAlgorithm algorithm;
    std::string public_record;
  };
  struct Library;
  explicit DkimSigner(std::unique_ptr<Library> library);

  const Loaded* Find(std::string_view domain) const;

  std::unique_ptr<Library> library_;
  std::map<std::string, Loaded> keys_;  // by lower-case domain
  uint64_t signed_count_ = 0;           // the library's per-message id ("lifeboat-N")
};

}  // namespace lifeboat::delivery
