#include "dtls/context.h"

#include <openssl/err.h>

#include "dtls/transport.h"

namespace peerkit::dtls {

Expected<std::shared_ptr<const Context>, std::string> Context::create(
    std::shared_ptr<const Certificate> certificate, const ContextOptions& options) {
  if (!certificate) return Unexpected(std::string("DTLS context needs a certificate"));
  SslCtxHandle ctx(SSL_CTX_new(DTLS_method()));
  if (!ctx) return Unexpected(take_openssl_error("SSL_CTX_new(DTLS) failed"));
  SSL_CTX* c = ctx.get();
  bool ok = SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) == 1 &&
            SSL_CTX_set_max_proto_version(c, DTLS1_2_VERSION) == 1 &&
            SSL_CTX_set_cipher_list(c, options.cipher_list.c_str()) == 1 &&
            SSL_CTX_set1_groups_list(c, options.groups.c_str()) == 1 &&
            SSL_CTX_use_certificate(c, certificate->x509()) == 1 &&
            SSL_CTX_use_PrivateKey(c, certificate->key()) == 1 && SSL_CTX_check_private_key(c) == 1;
  // SSL_CTX_set_tlsext_use_srtp returns 0 on success.
  if (ok && !options.srtp_profiles.empty())
    ok = SSL_CTX_set_tlsext_use_srtp(c, options.srtp_profiles.c_str()) == 0;
  if (!ok) return Unexpected(take_openssl_error("DTLS context setup failed"));
  SSL_CTX_set_options(c, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);  // idle connections keep no record buffers
  SSL_CTX_set_read_ahead(c, 1);                   // DTLS reads whole datagrams
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  // Self-signed on both sides: the chain is not judged, the fingerprint is (Transport).
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     &Transport::verify_callback);
  return std::shared_ptr<const Context>(new Context(std::move(ctx), std::move(certificate)));
}

}  // namespace peerkit::dtls
