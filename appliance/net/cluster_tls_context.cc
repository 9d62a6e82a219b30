#include "appliance/net/cluster_tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

#include "appliance/net/tls_context.h"

namespace lifeboat::net {
namespace {

// Asked of OpenSSL when a server verifies client certificates and caches sessions: a session is
// resumed only by a server with the same context id (SSL_CTX_set_session_id_context(3)).
constexpr unsigned char kSessionIdContext[] = "lifeboat-cluster";

std::string DrainErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Status Fail(SSL_CTX* ctx, const std::string& what) {
  std::string detail = DrainErrors();
  SSL_CTX_free(ctx);
  return Status::InvalidArgument("cluster TLS: " + what + ": " + detail);
}

// Trust the cluster CA and nothing else (no system store), and require the peer's certificate.
Status TrustOnlyClusterCa(SSL_CTX* ctx, const std::string& ca_path) {
  if (SSL_CTX_load_verify_locations(ctx, ca_path.c_str(), nullptr) != 1) {
    return Status::InvalidArgument("CA certificate '" + ca_path + "'");
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return Status::Ok();
}

Result<SSL_CTX*> NewAcceptingContext(const ClusterTlsFiles& files) {
  Result<SSL_CTX*> made = NewServerTlsContext(files.own);
  if (!made.ok()) return made.status();
  SSL_CTX* ctx = *made;
  Status trusted = TrustOnlyClusterCa(ctx, files.ca_certificate_path);
  if (!trusted.ok()) return Fail(ctx, trusted.message());
  // The CA names sent in the CertificateRequest: the client picks its certificate by them.
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca_certificate_path.c_str());
  if (names == nullptr) return Fail(ctx, "CA names of '" + files.ca_certificate_path + "'");
  SSL_CTX_set_client_CA_list(ctx, names);
  if (SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1) != 1) {
    return Fail(ctx, "session id context");
  }
  return ctx;
}

Result<SSL_CTX*> NewConnectingContext(const ClusterTlsFiles& files) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return Status::IoError("cluster TLS: SSL_CTX_new: " + DrainErrors());
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) return Fail(ctx, "TLS 1.3");
  if (SSL_CTX_set_ciphersuites(ctx, kTls13CipherSuites) != 1) return Fail(ctx, "TLS 1.3 suites");
  if (SSL_CTX_set1_groups_list(ctx, kTlsGroups) != 1) return Fail(ctx, "groups");
  if (SSL_CTX_use_certificate_chain_file(ctx, files.own.certificate_chain_path.c_str()) != 1) {
    return Fail(ctx, "certificate chain '" + files.own.certificate_chain_path + "'");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, files.own.private_key_path.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return Fail(ctx, "private key '" + files.own.private_key_path + "'");
  }
  Status trusted = TrustOnlyClusterCa(ctx, files.ca_certificate_path);
  if (!trusted.ok()) return Fail(ctx, trusted.message());
  return ctx;
}

}  // namespace

Result<std::unique_ptr<ClusterTlsContext>> ClusterTlsContext::Load(const ClusterTlsFiles& files) {
  std::unique_ptr<ClusterTlsContext> holder(new ClusterTlsContext());
  Result<SSL_CTX*> accepting = NewAcceptingContext(files);
  if (!accepting.ok()) return accepting.status();
  holder->accepting_ = *accepting;
  Result<SSL_CTX*> connecting = NewConnectingContext(files);
  if (!connecting.ok()) return connecting.status();
  holder->connecting_ = *connecting;
  return holder;
}

ClusterTlsContext::~ClusterTlsContext() {
  SSL_CTX_free(accepting_);
  SSL_CTX_free(connecting_);
}

}  // namespace lifeboat::net
