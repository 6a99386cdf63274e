// Wrap-aware comparison (RFC 1982 serial number arithmetic, as RFC 3550 §A.1 uses it for 16-bit
// sequence numbers) and unwrapping of 16-bit sequence numbers and 32-bit RTP timestamps to 64
// bits, so history, NACK and jitter code can use plain integer order.
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>

namespace peerkit::rtp {

// a is newer than b: the forward distance from b to a is less than half the number space.
// Exactly half is ambiguous in RFC 1982 §3.2; we call it "not newer" in both directions.
template <class T>
constexpr bool serial_newer(T a, T b) {
  static_assert(std::is_unsigned_v<T>);
  constexpr T kHalf = T(T(~T(0)) / 2 + 1);
  return a != b && T(a - b) < kHalf;
}

constexpr bool seq_newer(std::uint16_t a, std::uint16_t b) {
  return serial_newer(a, b);
}
constexpr bool ts_newer(std::uint32_t a, std::uint32_t b) {
  return serial_newer(a, b);
}

// Signed shortest distance from b to a (a - b), e.g. seq_delta(2, 65534) == 4.
constexpr std::int32_t seq_delta(std::uint16_t a, std::uint16_t b) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(a - b));
}
constexpr std::int64_t ts_delta(std::uint32_t a, std::uint32_t b) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a - b));
}

// Extends a wrapping counter of type T to 64 bits. The first value unwraps to itself plus
// one full cycle, so a slightly older (reordered) packet right after the start still gets a
// non-negative index; every later value is placed by its shortest distance from the newest
// value seen, which is correct while reordering stays below half the number space.
template <class T>
class Unwrapper {
  static_assert(std::is_unsigned_v<T> && sizeof(T) <= 4);

 public:
  static constexpr std::int64_t kCycle = std::int64_t{1} << (8 * sizeof(T));

  std::int64_t unwrap(T value) {
    if (!last_) {
      last_ = kCycle + value;
      return *last_;
    }
    const T last_raw = static_cast<T>(*last_);
    using S = std::make_signed_t<T>;
    const std::int64_t delta = static_cast<S>(static_cast<T>(value - last_raw));
    const std::int64_t result = *last_ + delta;
    if (delta > 0) last_ = result;
    return result;
  }
  // Unwraps without updating the state (where would this value land?).
  std::int64_t peek(T value) const {
    if (!last_) return kCycle + value;
    using S = std::make_signed_t<T>;
    return *last_ + static_cast<S>(static_cast<T>(value - static_cast<T>(*last_)));
  }
  std::optional<std::int64_t> newest() const { return last_; }
  void reset() { last_.reset(); }

 private:
  std::optional<std::int64_t> last_;
};

using SeqUnwrapper = Unwrapper<std::uint16_t>;
using TimestampUnwrapper = Unwrapper<std::uint32_t>;

}  // namespace peerkit::rtp
