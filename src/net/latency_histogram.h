// A fixed-bucket latency histogram for the data path: add() is a short loop over 10 bounds and
// two additions, no allocation and no lock (it belongs to one loop thread; a copy is handed to
// whoever publishes it). Exported as a Prometheus histogram by net::add_histogram.
#pragma once

#include <array>
#include <cstdint>

#include "common/time.h"

namespace peerkit::net {

class LatencyHistogram {
 public:
  // Upper bounds in microseconds: 25 µs … 25 ms; a last, unbounded bucket takes the rest.
  static constexpr std::array<std::int64_t, 10> kBoundsUs{25,   50,   100,   250,   500,
                                                         1000, 2500, 5000, 10000, 25000};

  void add(Duration d, std::uint64_t samples = 1) {
    const std::int64_t us = d.us() < 0 ? 0 : d.us();
    std::size_t i = 0;
    while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
    counts_[i] += samples;
    count_ += samples;
    sum_us_ += static_cast<std::uint64_t>(us) * samples;
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t sum_us() const { return sum_us_; }
  // Samples in bucket i alone (i == kBoundsUs.size(): above the last bound).
  std::uint64_t bucket(std::size_t i) const { return counts_[i]; }
  // The upper bound (µs) of the bucket holding quantile q (0–1); -1 when above every bound or
  // empty. Coarse by design: for "is p99 under 1 ms", not for fine figures.
  std::int64_t quantile_bound_us(double q) const {
    if (count_ == 0) return -1;
    const double target = q * static_cast<double>(count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBoundsUs.size(); ++i) {
      seen += counts_[i];
      if (static_cast<double>(seen) >= target) return kBoundsUs[i];
    }
    return -1;
  }

 private:
  std::array<std::uint64_t, kBoundsUs.size() + 1> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_us_ = 0;
};

}  // namespace peerkit::net
