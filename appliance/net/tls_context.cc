#include "appliance/net/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace lifeboat::net {
namespace {

// The OpenSSL error queue as one line, oldest first, and cleared.
std::string DrainOpenSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

}  // namespace

Result<SSL_CTX*> NewServerTlsContext(const TlsFiles& files) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Status::IoError("TLS: SSL_CTX_new: " + DrainOpenSslErrors());
  auto fail = [&](std::string what) -> Result<SSL_CTX*> {
    std::string detail = DrainOpenSslErrors();
    SSL_CTX_free(ctx);
    return Status::InvalidArgument("TLS: " + what + ": " + detail);
  };
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return fail("protocol versions");
  }
  if (SSL_CTX_set_cipher_list(ctx, kTls12CipherList) != 1) return fail("cipher list");
  if (SSL_CTX_set_ciphersuites(ctx, kTls13CipherSuites) != 1) return fail("TLS 1.3 suites");
  if (SSL_CTX_set1_groups_list(ctx, kTlsGroups) != 1) return fail("groups");
  // The server picks the suite in the order of the lists (tls_context.h says why), for TLS 1.2
  // and 1.3 alike. Stateless tickets are off so that no long-lived ticket key outlives a reload.
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
                               SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  if (SSL_CTX_use_certificate_chain_file(ctx, files.certificate_chain_path.c_str()) != 1) {
    return fail("certificate chain '" + files.certificate_chain_path + "'");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, files.private_key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail("private key '" + files.private_key_path + "'");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail("private key '" + files.private_key_path + "' does not match the certificate");
  }
  return ctx;
}

Result<std::unique_ptr<ClientTlsContext>> ClientTlsContext::Load(const ClientTlsOptions& options) {
  std::unique_ptr<ClientTlsContext> holder(new ClientTlsContext(options));
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return Status::IoError("TLS: SSL_CTX_new: " + DrainOpenSslErrors());
  holder->context_ = ctx;  // freed by the holder on every return below
  auto fail = [](std::string what) -> Status {
    return Status::InvalidArgument("TLS client: " + what + ": " + DrainOpenSslErrors());
  };
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return fail("protocol versions");
  }
  if (SSL_CTX_set_cipher_list(ctx, kTls12CipherList) != 1) return fail("cipher list");
  if (SSL_CTX_set_ciphersuites(ctx, kTls13CipherSuites) != 1) return fail("TLS 1.3 suites");
  if (SSL_CTX_set1_groups_list(ctx, kTlsGroups) != 1) return fail("groups");
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (options.ca_file_path.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) return fail("the system's CA store");
  } else if (SSL_CTX_load_verify_locations(ctx, options.ca_file_path.c_str(), nullptr) != 1) {
    return fail("CA file '" + options.ca_file_path + "'");
  }
  // Opportunistic TLS (RFC 7435) still encrypts; it only accepts whatever the server presents.
  SSL_CTX_set_verify(ctx, options.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  return holder;
}

ClientTlsContext::~ClientTlsContext() {
  SSL_CTX_free(context_);
}

Result<std::unique_ptr<ServerTlsContext>> ServerTlsContext::Load(const TlsFiles& files) {
  std::unique_ptr<ServerTlsContext> holder(new ServerTlsContext(files));
  LB_RETURN_IF_ERROR(holder->Reload());
  return holder;
}

ServerTlsContext::~ServerTlsContext() {
  SSL_CTX_free(current_);
}

Status ServerTlsContext::Reload() {
  Result<SSL_CTX*> fresh = NewServerTlsContext(files_);
  if (!fresh.ok()) return fresh.status();
  std::lock_guard lock(mutex_);
  SSL_CTX_free(current_);
  current_ = *fresh;
  return Status::Ok();
}

SSL_CTX* ServerTlsContext::Acquire() const {
  std::lock_guard lock(mutex_);
  LB_CHECK(current_ != nullptr);
  SSL_CTX_up_ref(current_);
  return current_;
}

}  // namespace lifeboat::net
