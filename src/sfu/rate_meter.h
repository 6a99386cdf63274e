// Bytes per second over the last second, in 100 ms buckets: what a publisher's layer costs a
// subscriber, measured at ingress (issue 11, layer allocation). Header-only, no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/time.h"

namespace peerkit::sfu {

class RateMeter {
 public:
  static constexpr std::int64_t kBucketUs = 100'000;
  static constexpr std::size_t kBuckets = 10;

  void add(Timestamp now, std::size_t bytes) {
    Bucket& b = at(now);
    b.bytes += bytes;
  }
  // Bits per second over the last second up to `now` (0 if nothing arrived in it).
  double bps(Timestamp now) const {
    const std::int64_t current = now.us() / kBucketUs;
    std::uint64_t bytes = 0;
    for (const Bucket& b : buckets_)
      if (b.index > current - static_cast<std::int64_t>(kBuckets) && b.index <= current)
        bytes += b.bytes;
    return static_cast<double>(bytes) * 8;  // over kBuckets × 100 ms = 1 s
  }

 private:
  struct Bucket {
    std::int64_t index = -1;
    std::uint64_t bytes = 0;
  };
  Bucket& at(Timestamp now) {
    const std::int64_t index = now.us() / kBucketUs;
    Bucket& b = buckets_[static_cast<std::size_t>(index) % kBuckets];
    if (b.index != index) b = Bucket{index, 0};
    return b;
  }
  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace peerkit::sfu
