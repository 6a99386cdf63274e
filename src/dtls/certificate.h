// A DTLS certificate and its key. WebRTC peers authenticate each other by the certificate's
// fingerprint carried in SDP (RFC 8122, RFC 8827 §6.5), not by a CA, so the certificate is
// self-signed: ECDSA P-256, the key every browser generates by default. One certificate may
// serve many connections (a Context per certificate) or each connection its own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "dtls/openssl_handles.h"

namespace peerkit::dtls {

// A certificate digest as SDP carries it: "sha-256" and 32 bytes.
struct Fingerprint {
  std::string algorithm;  // sha-1, sha-224, sha-256, sha-384, sha-512 (lower case)
  std::vector<std::uint8_t> digest;
  bool operator==(const Fingerprint&) const = default;
};

// The digest of `cert` with the named hash; nullopt for an unknown hash name.
std::optional<Fingerprint> fingerprint_of(X509* cert, std::string_view algorithm);

class Certificate {
 public:
  // A fresh self-signed ECDSA P-256 certificate, valid from a day ago (clock skew) for 30 days,
  // with a random serial number and common name "peerkit".
  static Expected<std::shared_ptr<const Certificate>, std::string> generate();
  // A certificate and its private key, both PEM.
  static Expected<std::shared_ptr<const Certificate>, std::string> from_pem(std::string_view cert,
                                                                            std::string_view key);

  Fingerprint fingerprint(std::string_view algorithm = "sha-256") const;
  X509* x509() const { return cert_.get(); }
  EVP_PKEY* key() const { return key_.get(); }

 private:
  Certificate(X509Handle cert, PkeyHandle key) : cert_(std::move(cert)), key_(std::move(key)) {}
  X509Handle cert_;
  PkeyHandle key_;
};

}  // namespace peerkit::dtls
