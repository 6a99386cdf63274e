#include "net/asio_address.h"

#include <algorithm>

namespace peerkit::net {

namespace ip = boost::asio::ip;

ip::address to_asio(const IpAddress& a) {
  const auto b = a.bytes();
  if (a.is_v4()) {
    ip::address_v4::bytes_type v4;
    std::copy_n(b.begin(), 4, v4.begin());
    return ip::address_v4(v4);
  }
  ip::address_v6::bytes_type v6;
  std::copy_n(b.begin(), 16, v6.begin());
  return ip::address_v6(v6);
}

IpAddress from_asio(const ip::address& a) {
  if (a.is_v4()) {
    const auto v4 = a.to_v4().to_bytes();
    return IpAddress::v4({v4[0], v4[1], v4[2], v4[3]});
  }
  const auto v6 = a.to_v6().to_bytes();
  std::array<std::uint8_t, 16> b;
  std::copy(v6.begin(), v6.end(), b.begin());
  return IpAddress::v6(b);
}

}  // namespace peerkit::net
