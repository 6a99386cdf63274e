// The machine's interface addresses (getifaddrs), for ICE host candidates.
#pragma once

#include <string>
#include <vector>

#include "common/address.h"

namespace peerkit::net {

struct InterfaceAddress {
  std::string name;
  IpAddress address;
  bool up = false;
};

// Every IPv4 and IPv6 address of every interface; empty if the system call fails.
std::vector<InterfaceAddress> list_interface_addresses();

}  // namespace peerkit::net
