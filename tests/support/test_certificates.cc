#include "support/test_certificates.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>

namespace cmq::testing {
namespace {

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  EXPECT_EQ(X509_add_ext(cert, ext, -1), 1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `cn`; self-signed when `issuer` is null.
X509* MakeCert(EVP_PKEY* key, const std::string& cn, int64_t from, int64_t to, X509* issuer,
               EVP_PKEY* issuer_key, bool is_ca) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  unsigned char serial[8];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert), static_cast<long>(from));
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(to));
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(signer));
  if (is_ca) {
    AddExtension(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    AddExtension(cert, signer, NID_subject_key_identifier, "hash");
  } else {
    AddExtension(cert, signer, NID_basic_constraints, "CA:FALSE");
    AddExtension(cert, signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    AddExtension(cert, signer, NID_ext_key_usage, "serverAuth");
  }
  EXPECT_GT(X509_sign(cert, issuer_key != nullptr ? issuer_key : key, EVP_sha256()), 0);
  return cert;
}

void WritePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  if (cert != nullptr) {
    EXPECT_EQ(PEM_write_X509(f, cert), 1);
  }
  if (key != nullptr) {
    EXPECT_EQ(PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  }
  fclose(f);
}

}  // namespace

TestCa::TestCa(std::string dir, std::string name)
    : dir_(std::move(dir)), ca_file_(dir_ + "/" + name + ".pem") {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = MakeCert(key, name, -3600, 86400, nullptr, nullptr, /*is_ca=*/true);
  key_ = key;
  cert_ = cert;
  WritePem(ca_file_, cert, nullptr);
}

TestCa::~TestCa() {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key_));
  X509_free(static_cast<X509*>(cert_));
}

TestCa::Issued TestCa::Issue(const std::string& name, int64_t from_seconds,
                             int64_t to_seconds) const {
  Issued issued{dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key"};
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = MakeCert(key, name, from_seconds, to_seconds, static_cast<X509*>(cert_),
                        static_cast<EVP_PKEY*>(key_), /*is_ca=*/false);
  WritePem(issued.cert_file, cert, nullptr);
  WritePem(issued.key_file, nullptr, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return issued;
}

}  // namespace cmq::testing
