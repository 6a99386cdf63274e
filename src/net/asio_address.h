// The one conversion between Asio endpoints and peerkit's SocketAddress / IpAddress, by bytes
// (no text round trip), for every driver.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "common/address.h"

namespace peerkit::net {

boost::asio::ip::address to_asio(const IpAddress& ip);
IpAddress from_asio(const boost::asio::ip::address& ip);

template <class Endpoint = boost::asio::ip::udp::endpoint>
Endpoint to_endpoint(const SocketAddress& a) {
  return Endpoint(to_asio(a.ip()), a.port());
}

template <class Protocol>
SocketAddress from_endpoint(const boost::asio::ip::basic_endpoint<Protocol>& e) {
  return SocketAddress(from_asio(e.address()), e.port());
}

}  // namespace peerkit::net
