// Certificates made at test time (nothing checked in that could expire): a CA and the
// server certificates it issues, as PEM files in a directory of the test's.
//
// Keys are EC P-256 (fast to generate); server certificates name 127.0.0.1 and
// localhost. Fails the current test (ADD_FAILURE) if OpenSSL refuses a step.
#pragma once

#include <cstdint>
#include <string>

namespace cmq::testing {

class TestCa {
 public:
  // Writes the CA's certificate to `dir`/`name`.pem (its key stays in memory).
  TestCa(std::string dir, std::string name);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  // The CA certificate's file: what a client trusts.
  const std::string& ca_file() const { return ca_file_; }

  struct Issued {
    std::string cert_file;  // `dir`/`name`.pem
    std::string key_file;   // `dir`/`name`.key
  };
  // A server certificate valid from now + `from_seconds` to now + `to_seconds` (both
  // may be negative: an expired certificate), with common name `name`.
  Issued Issue(const std::string& name, int64_t from_seconds = -3600,
               int64_t to_seconds = 86400) const;

 private:
  std::string dir_;
  std::string ca_file_;
  void* key_ = nullptr;   // EVP_PKEY
  void* cert_ = nullptr;  // X509
};

}  // namespace cmq::testing
