// Socket creation with the options servers need, as plain fds handed to Asio afterwards.
#pragma once

#include <string>

#include "common/address.h"
#include "common/expected.h"

namespace peerkit::net {

struct UdpSocketOptions {
  bool reuse_port = false;     // SO_REUSEPORT: one listener per worker on the same port
  int buffer_bytes = 0;        // SO_RCVBUF/SO_SNDBUF (0: system default)
  bool dont_fragment = false;  // IP(V6)_MTU_DISCOVER = DO
  bool v6_only = true;
};

// Returns the fd or an error text (e.g. "address in use").
Expected<int, std::string> open_udp(const SocketAddress& bind_to, const UdpSocketOptions& o);
Expected<int, std::string> open_tcp_listener(const SocketAddress& bind_to, bool reuse_port,
                                             int backlog);

// The process's open-file limit (RLIMIT_NOFILE soft limit); 1 000 000 when unlimited. Every
// socket is a descriptor, so servers split this budget between their kinds of sockets.
std::size_t open_file_limit();

}  // namespace peerkit::net
