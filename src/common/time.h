// Strong types for time. Cores never read a clock: every input carries a Timestamp supplied by
// the driver (a real steady clock) or by a test (a ManualClock), so protocol timers can be tested
// faster than real time.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <limits>

namespace peerkit {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration micros(std::int64_t us) { return Duration(us); }
  static constexpr Duration millis(std::int64_t ms) { return Duration(ms * 1000); }
  static constexpr Duration seconds(std::int64_t s) { return Duration(s * 1'000'000); }
  static constexpr Duration infinite() {
    return Duration(std::numeric_limits<std::int64_t>::max());
  }

  constexpr std::int64_t us() const { return us_; }
  constexpr std::int64_t ms() const { return us_ / 1000; }
  constexpr std::int64_t s() const { return us_ / 1'000'000; }

  constexpr Duration operator+(Duration o) const { return Duration(us_ + o.us_); }
  constexpr Duration operator-(Duration o) const { return Duration(us_ - o.us_); }
  constexpr Duration operator*(std::int64_t k) const { return Duration(us_ * k); }
  constexpr auto operator<=>(const Duration&) const = default;

 private:
  constexpr explicit Duration(std::int64_t us) : us_(us) {}
  std::int64_t us_ = 0;
};

// A point on a monotonic time line; the origin is whatever the clock chose.
class Timestamp {
 public:
  constexpr Timestamp() = default;
  static constexpr Timestamp from_micros(std::int64_t us) { return Timestamp(us); }
  static constexpr Timestamp never() { return Timestamp(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t us() const { return us_; }
  constexpr Timestamp operator+(Duration d) const {
    if (us_ == never().us_ || d == Duration::infinite()) return never();
    return Timestamp(us_ + d.us());
  }
  constexpr Timestamp operator-(Duration d) const { return Timestamp(us_ - d.us()); }
  constexpr Duration operator-(Timestamp o) const { return Duration::micros(us_ - o.us_); }
  constexpr auto operator<=>(const Timestamp&) const = default;

 private:
  constexpr explicit Timestamp(std::int64_t us) : us_(us) {}
  std::int64_t us_ = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  Timestamp now() const override {
    auto d = std::chrono::steady_clock::now().time_since_epoch();
    return Timestamp::from_micros(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  }
};

// For tests: time moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start = Timestamp::from_micros(1'000'000)) : now_(start) {}
  Timestamp now() const override { return now_; }
  void advance(Duration d) { now_ = now_ + d; }
  void set(Timestamp t) { now_ = t; }

 private:
  Timestamp now_;
};

// Seconds since the Unix epoch, from the system clock. Only drivers call this; cores receive
// the offset between this and their monotonic Timestamp as configuration.
inline std::int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The system clock as an NTP time (RFC 5905 §6: seconds since 1900 in the high 32 bits, the
// fraction in the low 32), for RTCP sender reports. Only drivers call this.
inline std::uint64_t ntp_time_now() {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  constexpr std::uint64_t kUnixToNtp = 2'208'988'800;  // 1900-01-01 to 1970-01-01, seconds
  const auto seconds = static_cast<std::uint64_t>(us / 1'000'000) + kUnixToNtp;
  const auto fraction = (static_cast<std::uint64_t>(us % 1'000'000) << 32) / 1'000'000;
  return (seconds << 32) | fraction;
}

}  // namespace peerkit
