#include "turn/unauth_limiter.h"

#include <algorithm>

namespace peerkit::turn {

UnauthLimiter::UnauthLimiter(std::uint32_t rate_per_s, std::uint32_t burst, std::uint64_t salt)
    : rate_(rate_per_s), burst_(std::max(burst, rate_per_s)), salt_(salt), buckets_(kSlots) {}

bool UnauthLimiter::allow(Timestamp now, const IpAddress& source) {
  if (rate_ == 0) return true;
  const std::size_t slot = (IpAddressHash{}(source) ^ salt_) * 0x9E3779B97F4A7C15ull >> 52;
  Bucket& b = buckets_[slot % kSlots];
  if (!b.used) {
    b = {static_cast<double>(burst_), now, true};
  } else {
    const double elapsed_s = static_cast<double>((now - b.last).us()) / 1e6;
    b.tokens = std::min<double>(burst_, b.tokens + std::max(0.0, elapsed_s) * rate_);
    b.last = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace peerkit::turn
