// DKIM signing (modules/delivery/dkim_signer.h) checked by OpenDKIM's own verifier: the public key
// the signer derives is handed to the verifier through the library's key-lookup hook (the TXT
// record a DNS server would serve at <selector>._domainkey.<domain>), so a pass means a receiver
// with that record in DNS would pass it too; a changed body or header must fail.
#include "modules/delivery/dkim_signer.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <chrono>
#include <cstring>
#include <string>

#include "modules/delivery/opendkim_header.h"

namespace lifeboat::delivery {
namespace {

// 2026-12-07T12:00:00Z: the signature's t= and the verifier's clock.
constexpr WallTime kNow = std::chrono::seconds(1796644800);

std::string PemOf(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

std::string RsaKeyPem(unsigned bits) {
  return PemOf(EVP_RSA_gen(bits));
}

// One 2048-bit key for the tests that need any good key: generating one takes a while.
const std::string& SharedRsaKeyPem() {
  static const std::string pem = RsaKeyPem(2048);
  return pem;
}

std::string Ed25519KeyPem() {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  EXPECT_EQ(EVP_PKEY_keygen_init(context), 1);
  EXPECT_EQ(EVP_PKEY_keygen(context, &key), 1);
  EVP_PKEY_CTX_free(context);
  return PemOf(key);
}

DkimKey Key(std::string domain, std::string pem) {
  DkimKey key;
  key.domain = std::move(domain);
  key.selector = "mail2026";
  key.private_key_pem = std::move(pem);
  key.origin = "test";
  return key;
}

const std::string kMessage =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@outside.test\r\n"
    "Subject: quarterly figures\r\n"
    "Date: Mon, 07 Dec 2026 12:00:00 +0000\r\n"
    "Message-ID: <q4@example.com>\r\n"
    "\r\n"
    "The figures are attached.\r\n"
    "-- \r\n"
    "Alice\r\n";

// The TXT record the verifier's key lookup returns (one verifier at a time in this test).
std::string served_record;
std::string looked_up_name;

DKIM_CBSTAT LookupKey(DKIM*, DKIM_SIGINFO* sig, u_char* buf, size_t buflen) {
  looked_up_name = std::string(reinterpret_cast<const char*>(dkim_sig_getselector(sig))) +
                   "._domainkey." + reinterpret_cast<const char*>(dkim_sig_getdomain(sig));
  if (served_record.size() + 1 > buflen) return DKIM_CBSTAT_ERROR;
  std::memcpy(buf, served_record.c_str(), served_record.size() + 1);
  return DKIM_CBSTAT_CONTINUE;
}

struct Verdict {
  DKIM_STAT status = DKIM_STAT_INTERNAL;
  bool passed = false;
  int body_hash = DKIM_SIGBH_UNTESTED;  // DKIM_SIGBH_MATCH / DKIM_SIGBH_MISMATCH
  std::string error;
};

// Verifies `message` (with its signature header on top) as a receiver would.
Verdict Verify(const std::string& message, const std::string& record) {
  served_record = record;
  DKIM_LIB* library = dkim_init(nullptr, nullptr);
  EXPECT_NE(library, nullptr);
  uint64_t fixed_time =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(kNow).count() + 60);
  EXPECT_EQ(
      dkim_options(library, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &fixed_time, sizeof(fixed_time)),
      DKIM_STAT_OK);
  EXPECT_EQ(dkim_set_key_lookup(library, &LookupKey), DKIM_STAT_OK);
  DKIM_STAT status = DKIM_STAT_OK;
  DKIM* dkim =
      dkim_verify(library, reinterpret_cast<const unsigned char*>("verify"), nullptr, &status);
  EXPECT_NE(dkim, nullptr);
  std::string copy = message;
  Verdict verdict;
  verdict.status = dkim_chunk(dkim, reinterpret_cast<unsigned char*>(copy.data()), copy.size());
  if (verdict.status == DKIM_STAT_OK) verdict.status = dkim_chunk(dkim, nullptr, 0);
  if (verdict.status == DKIM_STAT_OK) verdict.status = dkim_eom(dkim, nullptr);
  DKIM_SIGINFO* signature = dkim_getsignature(dkim);
  if (signature != nullptr) {
    verdict.passed = DKIM_SIG_CHECK(signature);
    verdict.body_hash = dkim_sig_getbh(signature);
    verdict.error = dkim_sig_geterrorstr(static_cast<DKIM_SIGERROR>(dkim_sig_geterror(signature)));
  }
  dkim_free(dkim);
  dkim_close(library);
  return verdict;
}

TEST(DkimSignerTest, RsaSignatureVerifiesWithThePublishedRecord) {
  auto signer = DkimSigner::Create({Key("Example.COM", SharedRsaKeyPem())});
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  ASSERT_TRUE((*signer)->SignsFor("example.com"));
  EXPECT_EQ((*signer)->algorithm("EXAMPLE.com"), DkimAlgorithm::kRsaSha256);
  auto header = (*signer)->Sign("example.com", kMessage, kNow);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(
      header->rfind("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com;", 0), 0u)
      << *header;
  EXPECT_NE(header->find("s=mail2026;"), std::string::npos) << *header;
  EXPECT_NE(header->find("t=1796644800;"), std::string::npos) << *header;
  // Folded with CRLF only, ending in CRLF: never a bare LF on the wire.
  ASSERT_GE(header->size(), 2u);
  EXPECT_EQ(header->substr(header->size() - 2), "\r\n");
  for (size_t i = 0; i < header->size(); ++i) {
    if ((*header)[i] == '\n') {
      EXPECT_EQ((*header)[i - 1], '\r') << "bare LF at " << i;
    }
  }
  auto record = (*signer)->PublicKeyRecord("example.com");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->rfind("v=DKIM1; k=rsa; p=MII", 0), 0u) << *record;

  Verdict good = Verify(*header + kMessage, *record);
  EXPECT_EQ(good.status, DKIM_STAT_OK) << dkim_getresultstr(good.status) << " " << good.error;
  EXPECT_TRUE(good.passed) << good.error;
  EXPECT_EQ(looked_up_name, "mail2026._domainkey.example.com");

  // Relaxed canonicalization (RFC 6376 section 3.4.4): trailing spaces on body lines and extra
  // empty lines at the end are ignored, so a relay that adds them does not break the signature.
  std::string padded = kMessage;
  padded.replace(padded.find("attached.\r\n"), 11, "attached.   \r\n");
  Verdict relaxed = Verify(*header + padded + "\r\n\r\n", *record);
  EXPECT_TRUE(relaxed.passed) << relaxed.error;
}

TEST(DkimSignerTest, AChangedBodyOrHeaderFailsVerification) {
  auto signer = DkimSigner::Create({Key("example.com", SharedRsaKeyPem())});
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  auto header = (*signer)->Sign("example.com", kMessage, kNow);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  const std::string record = *(*signer)->PublicKeyRecord("example.com");

  std::string body_changed = kMessage;
  body_changed.replace(body_changed.find("attached"), 8, "enclosed");
  Verdict body = Verify(*header + body_changed, record);
  EXPECT_FALSE(body.passed);
  EXPECT_EQ(body.body_hash, DKIM_SIGBH_MISMATCH) << body.error;

  std::string subject_changed = kMessage;
  subject_changed.replace(subject_changed.find("quarterly"), 9, "annual");
  Verdict subject = Verify(*header + subject_changed, record);
  EXPECT_FALSE(subject.passed);
  // The header hash fails first; the library then leaves the (intact) body untested.
  EXPECT_NE(subject.body_hash, DKIM_SIGBH_MISMATCH);

  // Another key published under the same name: the signature does not verify.
  auto other = DkimSigner::Create({Key("example.com", RsaKeyPem(2048))});
  ASSERT_TRUE(other.ok());
  Verdict wrong_key = Verify(*header + kMessage, *(*other)->PublicKeyRecord("example.com"));
  EXPECT_FALSE(wrong_key.passed);
}

TEST(DkimSignerTest, Ed25519SignatureVerifies) {
  auto signer = DkimSigner::Create({Key("example.org", Ed25519KeyPem())});
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ((*signer)->algorithm("example.org"), DkimAlgorithm::kEd25519Sha256);
  auto header = (*signer)->Sign("example.org", kMessage, kNow);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_NE(header->find("a=ed25519-sha256;"), std::string::npos) << *header;
  const std::string record = *(*signer)->PublicKeyRecord("example.org");
  EXPECT_EQ(record.rfind("v=DKIM1; k=ed25519; p=", 0), 0u) << record;
  Verdict good = Verify(*header + kMessage, record);
  EXPECT_TRUE(good.passed) << good.error;
  std::string changed = kMessage;
  changed.replace(changed.find("Alice\r\n"), 7, "Mallory\r\n");
  EXPECT_FALSE(Verify(*header + changed, record).passed);
}

TEST(DkimSignerTest, TheSameInputGivesTheSameSignature) {
  auto signer = DkimSigner::Create({Key("example.com", SharedRsaKeyPem())});
  ASSERT_TRUE(signer.ok());
  auto first = (*signer)->Sign("example.com", kMessage, kNow);
  auto second = (*signer)->Sign("example.com", kMessage, kNow);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
}

TEST(DkimSignerTest, BadKeysAreRefusedWithTheirDomainAndOrigin) {
  auto garbage = DkimSigner::Create({Key("example.com", "not a key\n")});
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(garbage.status().message().find("dkim: key for example.com (test): not a PEM private "
                                            "key"),
            std::string::npos)
      << garbage.status().message();

  auto small = DkimSigner::Create({Key("example.com", RsaKeyPem(512))});
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("an RSA key of 512 bits; RFC 8301 requires at least "
                                          "1024"),
            std::string::npos)
      << small.status().message();

  EVP_PKEY* ec = EVP_EC_gen("P-256");
  auto wrong_type = DkimSigner::Create({Key("example.com", PemOf(ec))});
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.status().message().find("neither an RSA nor an Ed25519 key"),
            std::string::npos);

  const std::string pem = RsaKeyPem(1024);
  auto twice = DkimSigner::Create({Key("example.com", pem), Key("EXAMPLE.com", pem)});
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("a second key"), std::string::npos);

  DkimKey bad_selector = Key("example.com", pem);
  bad_selector.selector = "mail;2026";
  EXPECT_FALSE(DkimSigner::Create({bad_selector}).ok());
  EXPECT_FALSE(DkimSigner::Create({Key("exa mple.com", pem)}).ok());
}

TEST(DkimSignerTest, SigningErrorsAreValues) {
  auto signer = DkimSigner::Create({Key("example.com", RsaKeyPem(1024))});
  ASSERT_TRUE(signer.ok());
  auto unknown = (*signer)->Sign("example.net", kMessage, kNow);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE((*signer)->PublicKeyRecord("example.net").ok());
  EXPECT_FALSE((*signer)->SignsFor("example.net"));
}

}  // namespace
}  // namespace lifeboat::delivery
