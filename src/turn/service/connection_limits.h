// TCP/TLS client connections per client address, for the whole process: SO_REUSEPORT spreads
// one address's connections over every worker, so a per-worker count would multiply the limit
// by the number of workers. IPv6 addresses are counted by their prefix (common/client_key.h:
// one subscriber's /64 is one address). Touched on accept and close only, never per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "common/address.h"
#include "common/client_key.h"

namespace peerkit::turn {

class ConnectionsPerAddress {
 public:
  // limit 0 = unlimited.
  ConnectionsPerAddress(std::size_t limit, std::uint8_t ipv6_prefix)
      : limit_(limit), prefix_(ipv6_prefix) {}

  // Counts one more connection from `a`; false (nothing counted) when its key is at the limit.
  bool add(const IpAddress& a) {
    std::lock_guard lock(mutex_);
    auto& n = counts_[client_key(a, prefix_)];
    if (limit_ && n >= limit_) {
      if (n == 0) counts_.erase(client_key(a, prefix_));
      return false;
    }
    ++n;
    return true;
  }
  void remove(const IpAddress& a) {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(client_key(a, prefix_));
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
  }
  std::size_t count(const IpAddress& a) const {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(client_key(a, prefix_));
    return it == counts_.end() ? 0 : it->second;
  }
  std::size_t keys() const {
    std::lock_guard lock(mutex_);
    return counts_.size();
  }

 private:
  mutable std::mutex mutex_;
  const std::size_t limit_;
  const std::uint8_t prefix_;
  std::unordered_map<IpAddress, std::size_t, IpAddressHash> counts_;
};

}  // namespace peerkit::turn
