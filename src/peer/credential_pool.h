// DTLS credentials (a fresh ECDSA P-256 certificate and the SSL_CTX that presents it) made
// ahead of time on a background thread, so that creating a PeerConnection does not wait for
// them.
//
// Why: with OpenSSL 3.0 one credential costs ≈ 0.6 ms of CPU (X509_set_pubkey goes through
// the provider decoders: ≈ 0.4 ms; SSL_CTX_new ≈ 0.2 ms; measured with callgrind and a
// microbenchmark). Both peers of a set-up need one, so inline that is ≈ 1.2 ms of a few-ms
// connection set-up (T8), and it runs on a loop thread other connections share. Every connection
// still gets its own certificate, as in browsers: only the moment of making it moves.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/expected.h"
#include "dtls/certificate.h"
#include "dtls/context.h"

namespace peerkit::peer {

struct DtlsCredential {
  std::shared_ptr<const dtls::Certificate> certificate;
  std::shared_ptr<const dtls::Context> context;
};

// Makes one credential on the calling thread.
Expected<DtlsCredential, std::string> make_dtls_credential();

class CredentialPool {
 public:
  // Keeps up to `depth` credentials ready. The thread starts on the first take(), so a Runtime
  // that never makes a connection never makes a certificate.
  explicit CredentialPool(std::size_t depth = 4) : depth_(depth) {}
  ~CredentialPool();
  CredentialPool(const CredentialPool&) = delete;
  CredentialPool& operator=(const CredentialPool&) = delete;

  // A ready credential, or one made now when none is (and the background thread refills).
  // Each credential is handed out once.
  Expected<DtlsCredential, std::string> take();

  std::size_t ready() const;  // for tests

 private:
  void refill();

  const std::size_t depth_;
  mutable std::mutex m_;
  std::condition_variable wake_;
  std::deque<DtlsCredential> ready_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace peerkit::peer
