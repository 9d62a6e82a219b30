// The server TLS context: TLS 1.2+ only, and a certificate reload that swaps in the new
// certificate for new connections, or keeps the old one when the new files are broken.
#include "appliance/net/tls_context.h"

#include <gtest/gtest.h>
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
