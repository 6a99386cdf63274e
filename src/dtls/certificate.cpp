#include "dtls/certificate.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

namespace peerkit::dtls {

std::string take_openssl_error(const char* what) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return what;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return std::string(what) + ": " + buf;
}

std::optional<Fingerprint> fingerprint_of(X509* cert, std::string_view algorithm) {
  const EVP_MD* md = nullptr;
  if (algorithm == "sha-1") md = EVP_sha1();
  else if (algorithm == "sha-224") md = EVP_sha224();
  else if (algorithm == "sha-256") md = EVP_sha256();
  else if (algorithm == "sha-384") md = EVP_sha384();
  else if (algorithm == "sha-512") md = EVP_sha512();
  if (md == nullptr || cert == nullptr) return std::nullopt;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, md, out, &len) != 1) return std::nullopt;
  return Fingerprint{std::string(algorithm), std::vector<std::uint8_t>(out, out + len)};
}

Expected<std::shared_ptr<const Certificate>, std::string> Certificate::generate() {
  PkeyHandle key(EVP_EC_gen("P-256"));
  if (!key) return Unexpected(take_openssl_error("EC P-256 key generation failed"));
  X509Handle cert(X509_new());
  if (!cert) return Unexpected(take_openssl_error("X509_new failed"));
  unsigned char serial[8];
  if (RAND_bytes(serial, sizeof serial) != 1) return Unexpected(take_openssl_error("RAND_bytes"));
  serial[0] &= 0x7f;  // a positive INTEGER (RFC 5280 §4.1.2.2)
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  const bool serial_ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>("peerkit");
  const bool ok = serial_ok && X509_set_version(cert.get(), 2) == 1 &&
                  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24 * 3600) &&
                  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600) &&
                  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1 &&
                  X509_set_issuer_name(cert.get(), name) == 1 &&
                  X509_set_pubkey(cert.get(), key.get()) == 1 &&
                  X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return Unexpected(take_openssl_error("self-signed certificate failed"));
  return std::shared_ptr<const Certificate>(new Certificate(std::move(cert), std::move(key)));
}

Expected<std::shared_ptr<const Certificate>, std::string> Certificate::from_pem(
    std::string_view cert_pem, std::string_view key_pem) {
  std::unique_ptr<BIO, OpenSslDeleter<&BIO_free>> cb(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  std::unique_ptr<BIO, OpenSslDeleter<&BIO_free>> kb(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  if (!cb || !kb) return Unexpected(take_openssl_error("BIO_new_mem_buf failed"));
  X509Handle cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
  if (!cert) return Unexpected(take_openssl_error("certificate is not PEM"));
  PkeyHandle key(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  if (!key) return Unexpected(take_openssl_error("private key is not PEM"));
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return Unexpected(take_openssl_error("private key does not match the certificate"));
  return std::shared_ptr<const Certificate>(new Certificate(std::move(cert), std::move(key)));
}

Fingerprint Certificate::fingerprint(std::string_view algorithm) const {
  return fingerprint_of(cert_.get(), algorithm).value_or(Fingerprint{});
}

}  // namespace peerkit::dtls
