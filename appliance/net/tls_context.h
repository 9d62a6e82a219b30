#pragma once
// Server TLS configuration shared by the SMTP (STARTTLS, RFC 3207) and HTTPS listeners.
//
// Policy: TLS 1.2 and 1.3 only, the suites of Mozilla's "intermediate" profile (v5.7): ECDHE (and
// DHE) with AES-GCM or ChaCha20-Poly1305 for TLS 1.2, OpenSSL's three default TLS 1.3 suites,
// curves X25519, P-256, P-384; no compression, no renegotiation, no session tickets keyed for ever.
//
// The server chooses the suite, in the order of the lists below, strongest first: ECDHE before
// DHE, 256-bit keys before 128-bit, and at one key size AES-GCM before ChaCha20-Poly1305 (NIST SP
// 800-52r2 3.3.1.1 lists ephemeral ECDH and AEAD suites first; BSI TR-02102-2 recommends
// AES-GCM and does not list ChaCha20). Every suite offered is strong, but leaving the choice to
// the client is what scanners report ("NOT a cipher order configured", testssl rates it HIGH)
// and what those guides advise against: the server, not each client, holds the policy.
//
// Certificates are reloadable without a restart: Reload() builds a complete new SSL_CTX from the
// files and swaps it in only if that worked, so a half-copied certificate at 3 a.m. leaves the old
// one serving. Connections already open keep the context they started with (SSL_CTX is
// reference-counted by OpenSSL).

#include <memory>
#include <mutex>
#include <string>

#include "appliance/env/network.h"
#include "appliance/env/status.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace lifeboat::net {

inline constexpr const char* kTls12CipherList =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256";
// OpenSSL's default TLS 1.3 suites, in its default order, stated so that the order is policy.
inline constexpr const char* kTls13CipherSuites =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
inline constexpr const char* kTlsGroups = "X25519:P-256:P-384";

// The libevent network's ServerTls (appliance/env/network.h): StreamConnection::StartTls takes
// its SSL_CTX. Acquire() and Reload() are thread-safe.
class ServerTlsContext : public ServerTls {
 public:
  static Result<std::unique_ptr<ServerTlsContext>> Load(const TlsFiles& files);
  ~ServerTlsContext() override;

  // Re-reads the files. On error the previous context keeps serving and the error is returned.
  Status Reload() override;

  // A new reference to the current context for one connection: the caller frees it with
  // SSL_CTX_free once the SSL object is created (SSL_new takes its own reference).
  SSL_CTX* Acquire() const;

  const TlsFiles& files() const { return files_; }

 private:
  explicit ServerTlsContext(TlsFiles files) : files_(std::move(files)) {}
  TlsFiles files_;
  mutable std::mutex mutex_;
  SSL_CTX* current_ = nullptr;
};

// Builds one server SSL_CTX from PEM files with the policy above. Exposed for tests.
Result<SSL_CTX*> NewServerTlsContext(const TlsFiles& files);

// The libevent network's ClientTls (appliance/env/network.h): the same versions, suites and
// groups as the server's, plus the trust store and whether the peer is verified.
// StreamConnection::StartClientTls takes its SSL_CTX. Immutable once loaded, so thread-safe.
class ClientTlsContext : public ClientTls {
 public:
  static Result<std::unique_ptr<ClientTlsContext>> Load(const ClientTlsOptions& options);
  ~ClientTlsContext() override;
  ClientTlsContext(const ClientTlsContext&) = delete;
  ClientTlsContext& operator=(const ClientTlsContext&) = delete;

  SSL_CTX* context() const { return context_; }
  bool verify_peer() const { return options_.verify_peer; }

 private:
  explicit ClientTlsContext(ClientTlsOptions options) : options_(std::move(options)) {}
  ClientTlsOptions options_;
  SSL_CTX* context_ = nullptr;
};

}  // namespace lifeboat::net
