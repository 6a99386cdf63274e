#include "net/endpoint.h"

#include <netinet/in.h>

#include <cstring>

namespace peerkit::net {

socklen_t to_sockaddr(const SocketAddress& a, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  if (a.ip().is_v4()) {
    auto* s = reinterpret_cast<sockaddr_in*>(&out);
    s->sin_family = AF_INET;
    s->sin_port = htons(a.port());
    std::memcpy(&s->sin_addr, a.ip().bytes().data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* s = reinterpret_cast<sockaddr_in6*>(&out);
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(a.port());
  std::memcpy(&s->sin6_addr, a.ip().bytes().data(), 16);
  return sizeof(sockaddr_in6);
}

std::optional<SocketAddress> from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(sa);
    std::array<std::uint8_t, 4> b;
    std::memcpy(b.data(), &s->sin_addr, 4);
    return SocketAddress(IpAddress::v4(b), ntohs(s->sin_port));
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(sa);
    std::array<std::uint8_t, 16> b;
    std::memcpy(b.data(), &s->sin6_addr, 16);
    return SocketAddress(IpAddress::v6(b), ntohs(s->sin6_port));
  }
  return std::nullopt;
}

}  // namespace peerkit::net
