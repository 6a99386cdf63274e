#include "net/socket_setup.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "net/endpoint.h"

namespace peerkit::net {
namespace {

void set_int(int fd, int level, int name, int value) {
  ::setsockopt(fd, level, name, &value, sizeof value);
}

Expected<int, std::string> fail(int fd, const char* what, const SocketAddress& a) {
  const std::string msg = std::string(what) + " " + a.to_string() + ": " + std::strerror(errno);
  if (fd >= 0) ::close(fd);
  return Unexpected(msg);
}

}  // namespace

Expected<int, std::string> open_udp(const SocketAddress& bind_to, const UdpSocketOptions& o) {
  const int family = bind_to.ip().is_v4() ? AF_INET : AF_INET6;
  const int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(fd, "socket", bind_to);
  if (o.reuse_port) set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
  if (family == AF_INET6) set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, o.v6_only ? 1 : 0);
  if (o.buffer_bytes > 0) {
    // The *FORCE variants pass net.core.rmem_max as root; fall back to the capped ones.
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &o.buffer_bytes, sizeof o.buffer_bytes) != 0)
      set_int(fd, SOL_SOCKET, SO_RCVBUF, o.buffer_bytes);
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &o.buffer_bytes, sizeof o.buffer_bytes) != 0)
      set_int(fd, SOL_SOCKET, SO_SNDBUF, o.buffer_bytes);
  }
  if (o.dont_fragment) {
    if (family == AF_INET)
      set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
    else
      set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IP_PMTUDISC_DO);
  }
  sockaddr_storage ss;
  const socklen_t len = to_sockaddr(bind_to, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail(fd, "bind udp", bind_to);
  return fd;
}

Expected<int, std::string> open_tcp_listener(const SocketAddress& bind_to, bool reuse_port,
                                             int backlog) {
  const int family = bind_to.ip().is_v4() ? AF_INET : AF_INET6;
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(fd, "socket", bind_to);
  set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  if (reuse_port) set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
  if (family == AF_INET6) set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
  sockaddr_storage ss;
  const socklen_t len = to_sockaddr(bind_to, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail(fd, "bind tcp", bind_to);
  if (::listen(fd, backlog) != 0) return fail(fd, "listen", bind_to);
  return fd;
}
std::size_t open_file_limit() {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur == RLIM_INFINITY ? 1'000'000 : rl.rlim_cur;
}

}  // namespace peerkit::net
