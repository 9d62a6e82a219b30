#pragma once
// The libevent network's ClusterTls (appliance/env/network.h): two OpenSSL contexts built from a
// node's cluster certificate, its key and the cluster CA, one per end of a connection.
//
// Accepting end: the server policy of tls_context.h, and a client certificate is required
// (SSL_VERIFY_FAIL_IF_NO_PEER_CERT) and verified against the cluster CA only.
// Connecting end: TLS 1.3 only (both ends are Lifeboat nodes of the same release line), the node's
// own certificate presented, and the server's verified against the cluster CA only. No host name
// is checked: addresses are numeric and may change with the network, while the CA signs nothing
// but the cluster's nodes (cluster_certificates.h), so a chain to it is the membership proof.
//
// Loaded once at startup; a node certificate is renewed by restarting the node (issue #13 item 4
// leaves renewal before expiry for later).

#include <memory>

#include "appliance/env/network.h"
#include "appliance/env/status.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace lifeboat::net {

class ClusterTlsContext : public ClusterTls {
 public:
  static Result<std::unique_ptr<ClusterTlsContext>> Load(const ClusterTlsFiles& files);
  ~ClusterTlsContext() override;
  ClusterTlsContext(const ClusterTlsContext&) = delete;
  ClusterTlsContext& operator=(const ClusterTlsContext&) = delete;

  // The context for one end; the connection takes its own reference (SSL_new).
  SSL_CTX* context(TlsRole role) const {
    return role == TlsRole::kAccepting ? accepting_ : connecting_;
  }

 private:
  ClusterTlsContext() = default;
  SSL_CTX* accepting_ = nullptr;
  SSL_CTX* connecting_ = nullptr;
};

}  // namespace lifeboat::net
