// Owning handles for the OpenSSL objects dtls/ uses: every one is freed by its own function,
// once, whatever path leaves the scope.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace peerkit::dtls {

template <auto Free>
struct OpenSslDeleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

using SslCtxHandle = std::unique_ptr<SSL_CTX, OpenSslDeleter<&SSL_CTX_free>>;
using SslHandle = std::unique_ptr<SSL, OpenSslDeleter<&SSL_free>>;
using X509Handle = std::unique_ptr<X509, OpenSslDeleter<&X509_free>>;
using PkeyHandle = std::unique_ptr<EVP_PKEY, OpenSslDeleter<&EVP_PKEY_free>>;
using BioMethodHandle = std::unique_ptr<BIO_METHOD, OpenSslDeleter<&BIO_meth_free>>;

// The oldest error on this thread's OpenSSL error queue, as text (the queue is cleared).
std::string take_openssl_error(const char* what);

}  // namespace peerkit::dtls
