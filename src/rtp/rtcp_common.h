// The RTCP common header (RFC 3550 §6.4.1) shared by every packet type, and the helpers each
// type's parser and builder use.
//
//   |V=2|P|  count  |      PT       |             length            |
//   length = size in 32-bit words minus one; count is RC / SC / FMT depending on PT.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"

namespace peerkit::rtp {

namespace rtcp_type {
constexpr std::uint8_t kSr = 200;
constexpr std::uint8_t kRr = 201;
constexpr std::uint8_t kSdes = 202;
constexpr std::uint8_t kBye = 203;
constexpr std::uint8_t kApp = 204;
constexpr std::uint8_t kRtpfb = 205;  // RFC 4585 §6.1 transport-layer feedback
constexpr std::uint8_t kPsfb = 206;   // RFC 4585 §6.1 payload-specific feedback
}  // namespace rtcp_type

// One packet of a compound: the 5-bit count/FMT field, the type and the body after the 4-byte
// header (padding removed).
struct RtcpCommon {
  std::uint8_t count = 0;
  std::uint8_t type = 0;
  ByteSpan body;
};

// Starts a packet: writes the header with a placeholder length; returns where it starts.
inline std::size_t begin_rtcp(ByteWriter& w, std::uint8_t count, std::uint8_t type) {
  const std::size_t start = w.size();
  w.u8(static_cast<std::uint8_t>(0x80 | (count & 0x1f)));
  w.u8(type);
  w.u16(0);
  return start;
}

// Pads the packet to 32 bits with zeros (as SDES and BYE need) and patches its length field.
inline void end_rtcp(ByteWriter& w, std::size_t start) {
  while ((w.size() - start) % 4 != 0 && w.ok()) w.u8(0);
  const std::size_t words = (w.size() - start) / 4;
  w.patch_u16(start + 2, static_cast<std::uint16_t>(words - 1));
}

}  // namespace peerkit::rtp
