#include "common/client_key.h"

#include <algorithm>
#include <array>

namespace peerkit {

IpAddress client_key(const IpAddress& a, std::uint8_t ipv6_prefix) {
  if (a.is_v4()) return a;
  auto bytes = a.bytes();
  // ::ffff:0:0/96 is an IPv4 peer seen through a dual-stack socket (RFC 4291 §2.5.5.2).
  constexpr std::array<std::uint8_t, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped.begin(), kMapped.end(), bytes.begin())) {
    return IpAddress::v4(std::array<std::uint8_t, 4>{bytes[12], bytes[13], bytes[14], bytes[15]});
  }
  const unsigned prefix = std::min<unsigned>(ipv6_prefix, 128);
  for (unsigned bit = prefix; bit < 128; ++bit) {
    bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  return IpAddress::v6(bytes);
}

}  // namespace peerkit
