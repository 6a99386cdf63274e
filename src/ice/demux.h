// RFC 7983 §7 (as updated by RFC 9443): what a packet on a shared ICE path is, from its first
// byte, so DTLS, SRTP/SRTCP and STUN can share the selected pair's 5-tuple.
//
//   [0..3] STUN   [16..19] ZRTP   [20..63] DTLS   [64..79] TURN ChannelData   [128..191] RTP/RTCP
//
// ChannelData is 64-79 here, not the 0x40-0x7F a TURN server or client port accepts
// (turn/channel_data.h, is_channel_data): RFC 9443 narrowed TURN to 64-79, the first bytes of
// RFC 8656's channel numbers 0x4000-0x4FFF, and gave 80-127 to QUIC. Only the first byte is
// looked at here; the format itself is read by turn/channel_data.h alone.
#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace peerkit::ice {

enum class PacketClass : std::uint8_t { kUnknown, kStun, kZrtp, kDtls, kChannelData, kRtp };

inline PacketClass classify(ByteSpan packet) {
  if (packet.empty()) return PacketClass::kUnknown;
  const auto b = std::to_integer<std::uint8_t>(packet[0]);
  if (b <= 3) return PacketClass::kStun;
  if (b >= 16 && b <= 19) return PacketClass::kZrtp;
  if (b >= 20 && b <= 63) return PacketClass::kDtls;
  if (b >= 64 && b <= 79) return PacketClass::kChannelData;
  if (b >= 128 && b <= 191) return PacketClass::kRtp;
  return PacketClass::kUnknown;
}

const char* to_string(PacketClass c);

}  // namespace peerkit::ice
