#include "turn/unauth_limiter.h"

namespace peerkit::turn {

UnauthLimiter::UnauthLimiter(std::uint32_t rate_per_s, std::uint32_t burst, std::uint64_t salt)
    : rate_(rate_per_s), burst_(burst), salt_(salt), buckets_(kSlots) {}

std::size_t UnauthLimiter::slot_of(const IpAddress& client) const {
  return ((IpAddressHash{}(client) ^ salt_) * 0x9E3779B97F4A7C15ull >> 52) % kSlots;
}

bool UnauthLimiter::take(std::size_t slot, Timestamp now) {
  auto& bucket = buckets_[slot % kSlots];
  if (!bucket) bucket.emplace(rate_, burst_, now);  // the burst is at least the rate
  return bucket->take(now);
}

bool UnauthLimiter::allow(Timestamp now, const IpAddress& client) {
  if (rate_ == 0) return true;
  return take(slot_of(client), now);
}

}  // namespace peerkit::turn
