// Which local addresses become host candidates. Interface enumeration is the driver's
// (net/interfaces.h); the choice is here so it can be tested. Defaults follow browsers: no
// loopback, no link-local, no addresses of down interfaces. Tests use `include` to stay on
// loopback or on their namespace's addresses; applications use it to keep VPN or container
// interfaces out.
#pragma once

#include <string>
#include <vector>

#include "common/address.h"
#include "common/expected.h"
#include "common/ip_range.h"

namespace peerkit::ice {

struct LocalInterface {
  std::string name;
  IpAddress address;
  bool up = true;
};

struct HostFilter {
  std::vector<std::string> include_interfaces;  // empty: all
  std::vector<std::string> exclude_interfaces;
  std::vector<IpRange> include_addresses;  // empty: all (CIDR, range or one address)
  std::vector<IpRange> exclude_addresses;
  bool allow_loopback = false;
  bool allow_link_local = false;
  bool ipv6 = true;
  std::size_t max_addresses = 8;
};

// Adds "name" / "!name" interface rules and "cidr" / "!cidr" address rules from a comma list,
// e.g. "eth0,!docker0,10.0.0.0/8,!10.9.0.0/16". An error names the bad item.
Expected<HostFilter, std::string> parse_host_filter(std::string_view rules, HostFilter base = {});

std::vector<IpAddress> select_host_addresses(const std::vector<LocalInterface>& interfaces,
                                             const HostFilter& filter);

}  // namespace peerkit::ice
