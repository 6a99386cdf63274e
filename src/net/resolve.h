// Host names to addresses with the system resolver (getaddrinfo: /etc/hosts, then DNS as
// nsswitch.conf says). Blocking: call it off every loop thread (the peer library resolves ICE
// server names on the thread that creates the connection, before the loop sees them).
#pragma once

#include <string>
#include <string_view>

#include "common/address.h"
#include "common/expected.h"

namespace peerkit::net {

// The first address the resolver returns for `host` (an IP literal comes back as it is).
// "localhost" and names under it are 127.0.0.1 without a query (RFC 6761 §6.3). Names under
// the special-use domain "invalid" fail without a query (RFC 6761 §6.4), as does a
// name that is not a syntactically valid host name (RFC 1123 §2.1: letters, digits, '-', '.',
// at most 253 characters).
Expected<IpAddress, std::string> resolve_host(std::string_view host);

}  // namespace peerkit::net
