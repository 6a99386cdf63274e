// Template part of net/tls.h.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace peerkit::net {

template <class Socket>
void verify_server_name(boost::asio::ssl::stream<Socket>& stream, const std::string& peer) {
  SSL* ssl = stream.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (IpAddress::parse(peer)) {
    // RFC 6125 §6.2.1 / RFC 9525: an address is matched against iPAddress SANs only.
    X509_VERIFY_PARAM_set1_ip_asc(param, peer.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, peer.c_str(), peer.size());
    SSL_set_tlsext_host_name(ssl, peer.c_str());  // SNI (RFC 6066 §3), never for addresses
  }
}

}  // namespace peerkit::net
