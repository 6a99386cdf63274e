// Every TLS context peerkit makes, in one place with one set of defaults (RFC 9325, the TLS
// recommendations for applications): TLS 1.2 or newer, forward-secret AEAD cipher suites only
// for 1.2, the server's cipher preference, no compression, no renegotiation, and for clients
// certificate verification that cannot be turned off. Servers (`peerkit serve`'s https/wss,
// `peerkit turn`'s TURN over TLS) keep their context in a ReloadableServerContext so a new
// certificate is picked up on SIGUSR2/SIGHUP while a bad file keeps the old one.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "common/address.h"
#include "common/expected.h"

namespace peerkit::net {

using TlsContext = boost::asio::ssl::context;
using TlsContextPtr = std::shared_ptr<TlsContext>;

struct TlsServerFiles {
  std::string cert_file;  // PEM: the certificate, then its chain
  std::string key_file;   // PEM private key matching the certificate
};

// A server context with the defaults above, or a clear error naming the file at fault.
Expected<TlsContextPtr, std::string> make_tls_server_context(const TlsServerFiles& files);

// A client context that verifies the server against `ca_file` (PEM; empty: the system's CAs).
Expected<TlsContextPtr, std::string> make_tls_client_context(const std::string& ca_file);

// Makes `stream` check, during its handshake, that the server's certificate names `peer` — an IP
// SAN for an address (TURN servers are usually given by address) — and sends SNI for host names.
template <class Socket>
void verify_server_name(boost::asio::ssl::stream<Socket>& stream, const std::string& peer);

// The current server context, swapped whole on reload. current() and load() may be called from
// any thread; connections keep the context they started with.
class ReloadableServerContext {
 public:
  explicit ReloadableServerContext(TlsServerFiles files) : files_(std::move(files)) {}

  // Loads the configured files again. On error the old context stays and the error says why
  // and which certificate is kept (its file, subject and not-after); on success the new one
  // serves every connection from now on.
  std::string reload();
  TlsContextPtr current() const;

 private:
  TlsServerFiles files_;
  mutable std::mutex mutex_;
  TlsContextPtr current_;
  std::string current_description_;  // "'<file>' (subject ..., not after ...)"
};

}  // namespace peerkit::net

#include "net/tls_verify.inl"
