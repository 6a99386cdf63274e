// The TURN ChannelData message (RFC 8656 §12.4), the one encoder and decoder of it:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Channel Number        |            Length             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   /                       Application Data                        /
//   +-------------------------------+
//
// Length counts the application data only. Over TCP/TLS the message is padded to a multiple of
// four bytes (§12.5); over UDP padding is optional and, when present, not counted in Length.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>

#include "common/bytes.h"

namespace peerkit::turn {

// A channel number as carried in CHANNEL-NUMBER and the ChannelData header.
struct ChannelNumber {
  std::uint16_t value = 0;
  friend constexpr auto operator<=>(ChannelNumber, ChannelNumber) = default;
};

// RFC 8656 §12: clients pick 0x4000-0x4FFF, 0x5000-0x7FFF are reserved. RFC 5766 §11 allowed
// 0x4000-0x7FFE, which older clients still use (the server's rfc5766_channel_numbers mode).
inline constexpr ChannelNumber kFirstChannel{0x4000};
inline constexpr ChannelNumber kLastChannel{0x4FFF};
inline constexpr ChannelNumber kLastRfc5766Channel{0x7FFE};

constexpr bool is_valid_channel(ChannelNumber n, bool rfc5766_range = false) {
  return n >= kFirstChannel && n <= (rfc5766_range ? kLastRfc5766Channel : kLastChannel);
}

inline constexpr std::size_t kChannelDataHeaderSize = 4;
inline constexpr std::size_t kMaxChannelDataPayload = 0xFFFF;  // Length is 16 bits

// Whether a packet on a TURN server or client port is ChannelData rather than STUN, from its
// first byte: the top two bits 01 (0x40-0x7F), RFC 8656 §12 / RFC 7983 §7. That covers every
// channel number RFC 5766 allowed (first bytes 0x40-0x7F), so a server in rfc5766 mode reads
// them; the number itself is checked against the bindings. The ICE demux on a shared path is
// narrower (64-79, see ice/demux.h): RFC 9443 keeps 64-79 for TURN, the first bytes of RFC 8656
// channels 0x4000-0x4FFF, and gives 80-127 to QUIC.
constexpr bool is_channel_data(std::uint8_t first_byte) {
  return (first_byte & 0xC0) == 0x40;
}

struct ChannelDataHeader {
  ChannelNumber channel;
  std::uint16_t length = 0;  // bytes of application data
};

// The 4-byte header, or nullopt when fewer than 4 bytes are given. Does not look at the range.
std::optional<ChannelDataHeader> parse_channel_data_header(ByteSpan packet);

struct ChannelDataView {
  ChannelNumber channel;
  ByteSpan payload;  // points into the parsed packet; trailing padding excluded
};

// A whole ChannelData message; nullopt when it is shorter than its header or than Length says.
// Bytes after the payload (padding, §12.5) are ignored.
std::optional<ChannelDataView> parse_channel_data(ByteSpan packet);

// Header plus payload, padded to a multiple of four when `padded` (streams, §12.5).
constexpr std::size_t channel_data_size(std::size_t payload_size, bool padded) {
  const std::size_t frame = kChannelDataHeaderSize + payload_size;
  return padded ? (frame + 3) & ~std::size_t{3} : frame;
}

// Writes the 4-byte header into `out` (which may be the headroom just before the payload, so the
// payload is never copied). False, writing nothing, if `out` is short or the payload too long.
bool encode_channel_data_header(MutableByteSpan out, ChannelNumber channel,
                                std::size_t payload_size);

// Header, payload and (when `padded`) zero padding into `out`; the bytes written, 0 if `out` is
// smaller than channel_data_size(payload.size(), padded) or the payload too long.
std::size_t encode_channel_data(MutableByteSpan out, ChannelNumber channel, ByteSpan payload,
                                bool padded);

}  // namespace peerkit::turn
