// The demo certificate: ECDSA P-256, SAN localhost and 127.0.0.1, times from the Env, key 0600.
#include "appliance/tls/self_signed_certificate.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>

namespace lifeboat::tls {
namespace {

class FixedClockEnv : public Env {
 public:
  MonoTime MonotonicNow() override { return MonoTime(0); }
  WallTime WallNow() override { return WallTime(1'700'000'000'000'000); }  // 2023-11-14T22:13:20Z
  TimerId StartTimer(Duration, std::function<void()>) override { return 0; }
  void CancelTimer(TimerId) override {}
  uint64_t RandomU64() override { return 0x0123456789abcdefull; }
  void Post(std::function<void()>) override {}
  void RunOffLoop(std::function<void()>, std::function<void()>) override {}
  std::unique_ptr<SerialExecutor> NewSerialExecutor(std::string) override { return nullptr; }
};

TEST(SelfSignedCertificateTest, WritesAMatchingP256CertificateAndPrivateKey) {
  char pattern[] = "/tmp/lifeboat-cert-test-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  std::string dir = pattern;
  FixedClockEnv env;
  ASSERT_TRUE(WriteSelfSignedCertificate(env, dir + "/cert.pem", dir + "/key.pem").ok());

  FILE* file = std::fopen((dir + "/cert.pem").c_str(), "r");
  ASSERT_NE(file, nullptr);
  X509* certificate = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  ASSERT_NE(certificate, nullptr);
  file = std::fopen((dir + "/key.pem").c_str(), "r");
  ASSERT_NE(file, nullptr);
  EVP_PKEY* key = PEM_read_PrivateKey(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  ASSERT_NE(key, nullptr);

  EXPECT_EQ(X509_check_private_key(certificate, key), 1);
  EXPECT_EQ(X509_verify(certificate, key), 1);  // self-signed with that key
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  char curve[64] = {};
  size_t curve_length = 0;
  EVP_PKEY_get_group_name(key, curve, sizeof(curve), &curve_length);
  EXPECT_STREQ(curve, "prime256v1");
  EXPECT_EQ(X509_check_host(certificate, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(certificate, "127.0.0.1", 0), 1);
  // Valid from an hour before the Env's wall time for kDemoCertificateValidityDays.
  int days = 0;
  int seconds = 0;
  ASN1_TIME* env_now = ASN1_TIME_set(nullptr, 1'700'000'000);
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, env_now, X509_get0_notBefore(certificate)), 1);
  EXPECT_EQ(days, 0);
  EXPECT_EQ(seconds, -3600);
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, env_now, X509_get0_notAfter(certificate)), 1);
  EXPECT_EQ(days, kDemoCertificateValidityDays);
  EXPECT_EQ(seconds, 0);
  ASN1_TIME_free(env_now);

  EXPECT_EQ(std::filesystem::status(dir + "/key.pem").permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // An existing key is never overwritten.
  EXPECT_FALSE(WriteSelfSignedCertificate(env, dir + "/cert.pem", dir + "/key.pem").ok());

  EVP_PKEY_free(key);
  X509_free(certificate);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lifeboat::tls
