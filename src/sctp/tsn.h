// TSN, SSN and MID comparison in serial number arithmetic (RFC 1982, RFC 9260 §1.6): a is
// "before" b when b - a, taken modulo 2^n, is below 2^(n-1).
#pragma once

#include <cstdint>

namespace peerkit::sctp {

inline bool tsn_before(std::uint32_t a, std::uint32_t b) {
  return static_cast<std::int32_t>(a - b) < 0;
}
inline bool tsn_before_or_equal(std::uint32_t a, std::uint32_t b) {
  return a == b || tsn_before(a, b);
}
inline bool ssn_before(std::uint16_t a, std::uint16_t b) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(a - b)) < 0;
}

}  // namespace peerkit::sctp
