// The unit a per-address limit counts. One IPv6 subscriber usually gets a whole /64 (RFC 6177
// recommends /48 to /64 per site), so counting /128s hands one visitor 2^64 budgets; every
// per-address limit (connections, ids, rooms, allocations, unauthenticated answers) counts the
// address masked to a configurable prefix instead. IPv4-mapped IPv6 (::ffff:a.b.c.d, what a
// dual-stack socket reports for IPv4 peers) is counted as the IPv4 address it is.
#pragma once

#include <cstdint>

#include "common/address.h"

namespace peerkit {

inline constexpr std::uint8_t kDefaultIpv6LimitPrefix = 64;

// `a` with every bit past `ipv6_prefix` cleared (IPv6), or as it is (IPv4). ipv6_prefix is
// clamped to 0..128; 128 counts single addresses.
IpAddress client_key(const IpAddress& a, std::uint8_t ipv6_prefix = kDefaultIpv6LimitPrefix);

}  // namespace peerkit
