// RTP retransmission payload format, RFC 4588 §4: an RTX packet is the original packet's
// header (CSRCs and header extensions kept) with the RTX stream's SSRC, payload type and
// sequence number, and a payload that starts with the original sequence number (OSN):
//
//   | RTP header (RTX SSRC, RTX PT, RTX seq) |  OSN (16)  |  original payload ...  |
//
// The original padding is not carried (§4: padding is recomputed, here simply dropped).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/expected.h"
#include "rtp/error.h"

namespace peerkit::rtp {

struct RtxParams {
  std::uint32_t ssrc = 0;         // the RTX stream (a=ssrc-group:FID primary rtx)
  std::uint8_t payload_type = 0;  // the rtx PT whose apt= is the original PT
  std::uint16_t sequence = 0;     // the RTX stream's own next sequence number
};

// Size of the RTX packet for `original` (header + 2 + payload), 0 if it does not parse.
std::size_t rtx_size(ByteSpan original);

// Writes the RTX packet for `original` into `out`; returns its size.
// Errors: those of parse_packet, kBadValue (PT > 127), kBufferTooSmall.
Expected<std::size_t, Error> wrap_rtx(ByteSpan original, const RtxParams& rtx, MutableByteSpan out);

struct OriginalParams {
  std::uint32_t ssrc = 0;         // the primary stream
  std::uint8_t payload_type = 0;  // the apt= of the RTX payload type
};

// Restores the original packet from an RTX packet: OSN becomes the sequence number, SSRC and
// PT are the primary's. kTooShort if the payload is shorter than the OSN; a padding-only RTX
// packet (no OSN, used by senders as probes) also returns kTooShort.
Expected<std::size_t, Error> unwrap_rtx(ByteSpan rtx, const OriginalParams& original,
                                        MutableByteSpan out);

}  // namespace peerkit::rtp
