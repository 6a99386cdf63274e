// One SSL_CTX per certificate, shared by every Transport that presents it: DTLS 1.2 only (a
// browser's 1.3-capable ClientHello is answered with 1.2), ECDHE with AEAD suites, the peer's
// certificate required and checked against the SDP fingerprint (RFC 8827 §6.5) rather than a
// CA, DTLS-SRTP profiles offered for the media issue (RFC 5764), buffers released when idle.
#pragma once

#include <memory>
#include <string>

#include "common/expected.h"
#include "dtls/certificate.h"
#include "dtls/openssl_handles.h"

namespace peerkit::dtls {

struct ContextOptions {
  // RFC 8827 §6.5 requires ECDHE with AEAD; the ECDSA suites match our own certificate, the
  // RSA ones let older stacks with RSA certificates connect.
  std::string cipher_list =
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
      "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";
  std::string groups = "X25519:P-256:P-384";
  // RFC 7714 §14.2 and RFC 5764 §4.1.2, the profiles browsers offer; empty: no use_srtp.
  std::string srtp_profiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";
};

class Context {
 public:
  static Expected<std::shared_ptr<const Context>, std::string> create(
      std::shared_ptr<const Certificate> certificate, const ContextOptions& options = {});

  SSL_CTX* ssl_ctx() const { return ctx_.get(); }
  const Certificate& certificate() const { return *certificate_; }

 private:
  Context(SslCtxHandle ctx, std::shared_ptr<const Certificate> c)
      : ctx_(std::move(ctx)), certificate_(std::move(c)) {}
  SslCtxHandle ctx_;
  std::shared_ptr<const Certificate> certificate_;
};

}  // namespace peerkit::dtls
