// Throw-away certificates for TLS tests: a fresh ECDSA P-256 key and a self-signed certificate
// naming 127.0.0.1, ::1 and localhost, written as PEM files into a temporary directory that is
// removed with the object. The certificate is its own CA, so a client can trust exactly it.
#pragma once

#include <string>

namespace peerkit::testing {

class TestCertificate {
 public:
  // `common_name` distinguishes two certificates in a test (for example before and after a reload).
  explicit TestCertificate(const std::string& common_name = "peerkit test");
  ~TestCertificate();
  TestCertificate(const TestCertificate&) = delete;
  TestCertificate& operator=(const TestCertificate&) = delete;

  const std::string& cert_file() const { return cert_file_; }
  const std::string& key_file() const { return key_file_; }
  const std::string& directory() const { return dir_; }

 private:
  std::string dir_, cert_file_, key_file_;
};

}  // namespace peerkit::testing
