// Address ranges and the IPv4 address hidden in an IPv6 one: what a TURN relay policy
// (turn/policy.h) and the ICE host-candidate filter (ice/host_filter.h) both need, so neither
// borrows it from the other.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/address.h"

namespace peerkit {

struct IpRange {
  IpAddress first;
  IpAddress last;  // same family as first, last >= first
  std::string text;

  bool contains(const IpAddress& a) const;
};

// "192.0.2.1", "10.0.0.1-10.0.0.9" (coturn's syntax), "10.0.0.0/8", "fe80::/10".
std::optional<IpRange> parse_ip_range(std::string_view text);

// The IPv4 address a peer address stands for:
//  - IPv4-mapped ::ffff:a.b.c.d (the kernel sends to a.b.c.d through a dual-stack socket)
//  - IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1)
//  - NAT64 64:ff9b::/96 (RFC 6052) and 64:ff9b:1::/48 (RFC 8215, /96 layout assumed)
//  - 6to4 2002:AABB:CCDD::/16 (RFC 3056)
//  - Teredo 2001:0::/32, client address obfuscated in the low 32 bits (RFC 4380 §4)
std::optional<IpAddress> embedded_ipv4(const IpAddress& a);
// The address the kernel actually sends to: IPv4-mapped addresses become IPv4.
IpAddress kernel_destination(const IpAddress& a);

}  // namespace peerkit
