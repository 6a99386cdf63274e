// A token bucket per connection (messages per second with a burst; common/token_bucket.h,
// driven by the caller's clock) and a per-address connection counter. Both are sans-IO and used
// by the drivers and the protocol cores to keep one client from starving the others.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "common/address.h"
#include "common/time.h"
#include "common/token_bucket.h"

namespace peerkit::signaling {

// Open connections per client address, for --max-connections-per-ip.
class ConnectionsPerAddress {
 public:
  explicit ConnectionsPerAddress(std::uint32_t limit) : limit_(limit) {}

  // False (and nothing counted) when the address is at its limit; 0 means unlimited.
  bool acquire(const IpAddress& address) {
    auto& count = counts_[address];
    if (limit_ != 0 && count >= limit_) return false;
    ++count;
    return true;
  }
  void release(const IpAddress& address) {
    auto it = counts_.find(address);
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
  }
  std::uint32_t count(const IpAddress& address) const {
    auto it = counts_.find(address);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  std::uint32_t limit_;
  std::unordered_map<IpAddress, std::uint32_t, IpAddressHash> counts_;
};

}  // namespace peerkit::signaling
