// Caps how many unauthenticated answers (401, 438) one source IP can draw per second, so the
// server cannot be used to reflect traffic at a spoofed victim (coturn 4.13.1/4.14 added the
// same). A fixed table of token buckets indexed by a salted hash of the IP: bounded memory,
// O(1), no eviction; two IPs sharing a slot share a budget, which only makes limiting stricter.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/address.h"
#include "common/time.h"
#include "common/token_bucket.h"

namespace peerkit::turn {

class UnauthLimiter {
 public:
  static constexpr std::size_t kSlots = 4096;

  UnauthLimiter(std::uint32_t rate_per_s, std::uint32_t burst, std::uint64_t salt);
  // True if one more unauthenticated answer to `source` may go out now.
  bool allow(Timestamp now, const IpAddress& source);

 private:
  std::uint32_t rate_;
  std::uint32_t burst_;
  std::uint64_t salt_;
  std::vector<std::optional<TokenBucket>> buckets_;  // made full on a slot's first use
};

}  // namespace peerkit::turn
