#include "net/interfaces.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include "net/endpoint.h"

namespace peerkit::net {

std::vector<InterfaceAddress> list_interface_addresses() {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    const int family = i->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    const socklen_t len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    auto a = from_sockaddr(i->ifa_addr, len);
    if (!a) continue;
    out.push_back({i->ifa_name, a->ip(), (i->ifa_flags & IFF_UP) != 0});
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace peerkit::net
