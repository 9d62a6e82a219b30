// The server TLS context: TLS 1.2+ only, the server's cipher order whatever the client lists first,
// and a certificate reload that swaps in the new certificate for new connections, or keeps the old
// one when the new files are broken.
#include "appliance/net/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "appliance/tls/self_signed_certificate.h"
#include "simulator/manual_env.h"

namespace lifeboat::net {
namespace {

enum class SuiteOrder { kServers, kClients };

// Runs one handshake between a client SSL_CTX and the server context over an in-memory BIO pair
// (no socket, no clock); returns the suite they agreed on, or "" if the handshake failed.
// SuiteOrder::kClients clears the server's preference on this connection only (the control).
std::string NegotiatedSuite(SSL_CTX* client_ctx, SSL_CTX* server_ctx,
                            SuiteOrder order = SuiteOrder::kServers) {
  constexpr int kHandshakeRoundsMax = 16;  // TLS 1.2 needs 2 round trips, TLS 1.3 one
  SSL* client = SSL_new(client_ctx);
  SSL* server = SSL_new(server_ctx);
  if (order == SuiteOrder::kClients) SSL_clear_options(server, SSL_OP_CIPHER_SERVER_PREFERENCE);
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  EXPECT_EQ(BIO_new_bio_pair(&client_end, 0, &server_end, 0), 1);
  SSL_set_bio(client, client_end, client_end);
  SSL_set_bio(server, server_end, server_end);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < kHandshakeRoundsMax && !(client_done && server_done); ++round) {
    if (!client_done) client_done = SSL_do_handshake(client) == 1;
    if (!server_done) server_done = SSL_do_handshake(server) == 1;
  }
  std::string suite = client_done && server_done ? SSL_get_cipher_name(server) : "";
  SSL_free(client);
  SSL_free(server);
  return suite;
}

class TlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lifeboat-tls-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes a fresh self-signed pair and renames it over the two paths, as an operator's renewal
  // would; returns the certificate's serial.
  std::string WritePair(uint64_t seed) {
    simulator::ManualEnv env(seed);
    std::string next = dir_ + "/next-" + std::to_string(seed);
    EXPECT_TRUE(tls::WriteSelfSignedCertificate(env, next + "-cert.pem", next + "-key.pem").ok());
    std::filesystem::rename(next + "-cert.pem", cert());
    std::filesystem::rename(next + "-key.pem", key());
    return SerialOfFile();
  }
  std::string SerialOfFile() {
    FILE* file = std::fopen(cert().c_str(), "r");
    EXPECT_NE(file, nullptr);
    X509* x509 = PEM_read_X509(file, nullptr, nullptr, nullptr);
    std::fclose(file);
    std::string serial = SerialOf(x509);
    X509_free(x509);
    return serial;
  }
  static std::string SerialOf(const X509* x509) {
    if (x509 == nullptr) return "";
    BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509), nullptr);
    char* hex = BN_bn2hex(number);
    std::string serial(hex);
    OPENSSL_free(hex);
    BN_free(number);
    return serial;
  }
  static std::string SerialServedBy(const ServerTlsContext& context) {
    SSL_CTX* ctx = context.Acquire();
    std::string serial = SerialOf(SSL_CTX_get0_certificate(ctx));
    SSL_CTX_free(ctx);
    return serial;
  }
  std::string cert() const { return dir_ + "/cert.pem"; }
  std::string key() const { return dir_ + "/key.pem"; }
  std::string dir_;
};

TEST_F(TlsContextTest, OnlyTls12AndNewer) {
  WritePair(1);
  auto context = ServerTlsContext::Load({cert(), key()});
  ASSERT_TRUE(context.ok()) << context.status().ToString();
  SSL_CTX* ctx = (*context)->Acquire();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx), TLS1_3_VERSION);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION, 0u);
  SSL_CTX_free(ctx);
}

// A client that lists the server's last suites first still gets the server's first choice, on
// TLS 1.2 and on TLS 1.3 (SSL_OP_CIPHER_SERVER_PREFERENCE covers both in OpenSSL).
TEST_F(TlsContextTest, ServerChoosesTheSuiteInItsOwnOrder) {
  WritePair(1);  // an ECDSA P-256 certificate: the ECDHE-ECDSA suites apply
  auto context = ServerTlsContext::Load({cert(), key()});
  ASSERT_TRUE(context.ok()) << context.status().ToString();
  SSL_CTX* server_ctx = (*context)->Acquire();
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_NE(client_ctx, nullptr);
  SSL_CTX_set_verify(client_ctx, SSL_VERIFY_NONE, nullptr);  // the order is under test, not trust

  // TLS 1.2, weakest first: AES-128 before ChaCha20 before AES-256. Control: a server that
  // follows the client's order would pick AES-128.
  ASSERT_EQ(SSL_CTX_set_max_proto_version(client_ctx, TLS1_2_VERSION), 1);
  ASSERT_EQ(SSL_CTX_set_cipher_list(client_ctx,
                                    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:"
                                    "ECDHE-ECDSA-AES256-GCM-SHA384"),
            1);
  EXPECT_EQ(NegotiatedSuite(client_ctx, server_ctx, SuiteOrder::kClients),
            "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(NegotiatedSuite(client_ctx, server_ctx), "ECDHE-ECDSA-AES256-GCM-SHA384");
  // Without AES-256 on offer, the server's second choice.
  ASSERT_EQ(SSL_CTX_set_cipher_list(client_ctx,
                                    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305"),
            1);
  EXPECT_EQ(NegotiatedSuite(client_ctx, server_ctx), "ECDHE-ECDSA-CHACHA20-POLY1305");

  // TLS 1.3, weakest first, with the same control.
  ASSERT_EQ(SSL_CTX_set_min_proto_version(client_ctx, TLS1_3_VERSION), 1);
  ASSERT_EQ(SSL_CTX_set_max_proto_version(client_ctx, TLS1_3_VERSION), 1);
  ASSERT_EQ(SSL_CTX_set_ciphersuites(client_ctx,
                                     "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:"
                                     "TLS_AES_256_GCM_SHA384"),
            1);
  EXPECT_EQ(NegotiatedSuite(client_ctx, server_ctx, SuiteOrder::kClients),
            "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(NegotiatedSuite(client_ctx, server_ctx), "TLS_AES_256_GCM_SHA384");

  SSL_CTX_free(client_ctx);
  SSL_CTX_free(server_ctx);
}

TEST_F(TlsContextTest, ReloadServesTheNewCertificate) {
  std::string first = WritePair(1);
  auto context = ServerTlsContext::Load({cert(), key()});
  ASSERT_TRUE(context.ok());
  EXPECT_EQ(SerialServedBy(**context), first);
  std::string second = WritePair(2);
  ASSERT_NE(first, second);
  ASSERT_TRUE((*context)->Reload().ok());
  EXPECT_EQ(SerialServedBy(**context), second);
}

TEST_F(TlsContextTest, BrokenFilesKeepTheOldCertificateServing) {
  std::string first = WritePair(1);
  auto context = ServerTlsContext::Load({cert(), key()});
  ASSERT_TRUE(context.ok());
  std::ofstream(cert(), std::ios::trunc) << "-----BEGIN CERTIFICATE-----\nhalf a copy";
  Status reloaded = (*context)->Reload();
  EXPECT_EQ(reloaded.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(reloaded.message().find("certificate chain"), std::string::npos) << reloaded.message();
  EXPECT_EQ(SerialServedBy(**context), first);
}

TEST_F(TlsContextTest, KeyThatDoesNotMatchIsRefused) {
  std::string first = WritePair(1);
  std::filesystem::copy_file(key(), dir_ + "/old-key.pem");
  std::string second = WritePair(2);
  ASSERT_NE(first, second);
  auto context = ServerTlsContext::Load({cert(), dir_ + "/old-key.pem"});
  ASSERT_FALSE(context.ok());
  // OpenSSL already refuses the key when it is loaded next to a certificate it does not match.
  EXPECT_NE(context.status().message().find("private key '" + dir_ + "/old-key.pem'"),
            std::string::npos)
      << context.status().message();
}

}  // namespace
}  // namespace lifeboat::net
