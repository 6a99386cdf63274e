#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <ctime>

namespace peerkit::net {

namespace ssl = boost::asio::ssl;

namespace {

// ECDHE key exchange and AEAD ciphers only (RFC 9325 §4.2); TLS 1.3 suites are OpenSSL's
// defaults, which are all AEAD already.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_reason(const boost::system::error_code& ec) {
  return ec.message();
}

// The options every context gets, client or server.
std::string apply_defaults(TlsContext& ctx) {
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) return "cannot require TLS 1.2";
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_ECDH_USE);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) return "cannot set the cipher list";
  return {};
}

// The certificate a context serves, for the log: subject (RFC 2253) and not-after (UTC).
std::string describe_certificate(TlsContext& ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx.native_handle());
  if (!cert) return "no certificate";
  std::string subject = "?";
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      const long n = BIO_get_mem_data(bio, &data);
      if (n > 0) subject.assign(data, static_cast<std::size_t>(n));
    }
    BIO_free(bio);
  }
  std::string not_after = "?";
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
    char text[32];
    if (std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0) not_after = text;
  }
  return "subject " + subject + ", not after " + not_after;
}

}  // namespace

Expected<TlsContextPtr, std::string> make_tls_server_context(const TlsServerFiles& files) {
  auto ctx = std::make_shared<TlsContext>(ssl::context::tls_server);
  if (auto e = apply_defaults(*ctx); !e.empty()) return Unexpected<std::string>(e);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(files.cert_file, ec);
  if (ec)
    return Unexpected<std::string>("cannot load certificate '" + files.cert_file +
                                   "': " + openssl_reason(ec));
  ctx->use_private_key_file(files.key_file, ssl::context::pem, ec);
  if (ec)
    return Unexpected<std::string>("cannot load private key '" + files.key_file +
                                   "': " + openssl_reason(ec));
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    return Unexpected<std::string>("private key '" + files.key_file +
                                   "' does not match certificate '" + files.cert_file + "'");
  }
  return ctx;
}

Expected<TlsContextPtr, std::string> make_tls_client_context(const std::string& ca_file) {
  auto ctx = std::make_shared<TlsContext>(ssl::context::tls_client);
  if (auto e = apply_defaults(*ctx); !e.empty()) return Unexpected<std::string>(e);
  boost::system::error_code ec;
  if (ca_file.empty())
    ctx->set_default_verify_paths(ec);
  else
    ctx->load_verify_file(ca_file, ec);
  if (ec)
    return Unexpected<std::string>("cannot load CA certificates" +
                                   (ca_file.empty() ? std::string() : " '" + ca_file + "'") + ": " +
                                   openssl_reason(ec));
  ctx->set_verify_mode(ssl::verify_peer);  // no switch turns this off
  return ctx;
}

std::string ReloadableServerContext::reload() {
  auto made = make_tls_server_context(files_);
  std::lock_guard lock(mutex_);
  if (!made) {
    if (!current_) return made.error();
    return made.error() + "; keeping the certificate loaded from " + current_description_;
  }
  current_description_ = "'" + files_.cert_file + "' (" + describe_certificate(**made) + ")";
  current_ = std::move(*made);
  return {};
}

TlsContextPtr ReloadableServerContext::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

}  // namespace peerkit::net
