// Conversions between peerkit's SocketAddress and the socket API's sockaddr. The only place
// outside drivers that knows about sockaddr.
#pragma once

#include <sys/socket.h>

#include <optional>

#include "common/address.h"

namespace peerkit::net {

// Fills `out` and returns its length.
socklen_t to_sockaddr(const SocketAddress& a, sockaddr_storage& out);
std::optional<SocketAddress> from_sockaddr(const sockaddr* sa, socklen_t len);

}  // namespace peerkit::net
