// A token bucket per connection (messages per second with a burst), driven by the caller's
// clock, and a per-address connection counter. Both are sans-IO and used by the drivers and the
// protocol cores to keep one client from starving the others.
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "common/address.h"
#include "common/time.h"

namespace peerkit::signaling {

class TokenBucket {
 public:
  TokenBucket() = default;
  // `rate` tokens per second, at most `burst` saved up; rate 0 means unlimited.
  TokenBucket(std::uint32_t rate, std::uint32_t burst, Timestamp now)
      : rate_(rate), burst_(std::max(burst, rate)), tokens_(burst_ * kScale), last_(now) {}

  bool take(Timestamp now) {
    if (rate_ == 0) return true;
    const std::int64_t elapsed_us = std::max<std::int64_t>(0, (now - last_).us());
    last_ = now;
    // Tokens are kept in millionths so that refills of a few microseconds are not lost.
    tokens_ = std::min<std::int64_t>(burst_ * kScale, tokens_ + elapsed_us * rate_);
    if (tokens_ < kScale) return false;
    tokens_ -= kScale;
    return true;
  }

 private:
  static constexpr std::int64_t kScale = 1'000'000;
  std::int64_t rate_ = 0;
  std::int64_t burst_ = 0;
  std::int64_t tokens_ = 0;
  Timestamp last_;
};

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
