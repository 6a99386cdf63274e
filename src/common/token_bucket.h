// A token bucket on the caller's clock: `rate` tokens a second, at most `burst` saved up, full
// when made. Every rate limit of the cores uses it — signaling messages per connection, TURN
// bytes per allocation and direction (max-bps), TURN unauthenticated answers per source — with
// a cost per take (1 per message, the payload size for bytes). Sans-IO: no clock read, `now`
// comes with every call.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/time.h"

namespace peerkit {

class TokenBucket {
 public:
  // The largest burst kept; more would overflow the micro-token count (2^63 / 10^6 tokens).
  static constexpr std::uint64_t kMaxBurst = 9'000'000'000'000;

  // Unlimited: every take succeeds.
  TokenBucket() = default;
  // `rate` tokens per second, at most max(burst, rate) saved up (so never less than one second's
  // worth), full at `now`. Rate 0 means unlimited.
  TokenBucket(std::uint64_t rate, std::uint64_t burst, Timestamp now)
      : rate_(std::min(rate, kMaxBurst)),
        capacity_(std::min(std::max(burst, rate), kMaxBurst) * kScale),
        tokens_(capacity_),
        last_(now) {}

  // Refills for the time since the last call, then takes `cost` tokens if that many are there.
  // A cost above the burst never succeeds. A `now` earlier than a previous one adds nothing and
  // leaves the refill point where it was, so a clock stepping back cannot mint tokens.
  bool take(Timestamp now, std::uint64_t cost = 1) {
    if (rate_ == 0) return true;
    refill(now);
    if (cost > capacity_ / kScale || tokens_ < cost * kScale) return false;
    tokens_ -= cost * kScale;
    return true;
  }

  bool unlimited() const { return rate_ == 0; }

 private:
  // Tokens are counted in millionths: `rate` tokens a second is `rate` millionths a microsecond,
  // so refills of a few microseconds are not lost to rounding.
  static constexpr std::uint64_t kScale = 1'000'000;

  void refill(Timestamp now) {
    if (now <= last_) return;
    const auto elapsed_us = static_cast<std::uint64_t>((now - last_).us());
    last_ = now;
    const std::uint64_t missing = capacity_ - tokens_;
    // Compared by division first: elapsed_us * rate_ may not fit after a long idle time.
    if (elapsed_us >= missing / rate_ + 1)
      tokens_ = capacity_;
    else
      tokens_ = std::min(capacity_, tokens_ + elapsed_us * rate_);
  }

  std::uint64_t rate_ = 0;
  std::uint64_t capacity_ = 0;  // millionths
  std::uint64_t tokens_ = 0;    // millionths
  Timestamp last_;
};

}  // namespace peerkit
