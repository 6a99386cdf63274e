#include "turn/stream_framing.h"

#include "turn/channel_data.h"

namespace peerkit::turn {

FrameResult next_frame(ByteSpan b) {
  if (b.size() < 4) return {FrameStatus::kNeedMore};
  const auto first = std::to_integer<std::uint8_t>(b[0]);
  // The whole 0x40-0x7F range, like the server (RFC 5766 channel numbers); see channel_data.h.
  if (is_channel_data(first)) {
    const auto header = parse_channel_data_header(b);
    const std::size_t frame = channel_data_size(header->length, false);
    const std::size_t padded = channel_data_size(header->length, true);  // §12.5
    if (b.size() < padded) return {FrameStatus::kNeedMore};
    return {FrameStatus::kFrame, frame, padded};
  }
  ByteReader r(b);
  r.u16();
  const std::size_t length = r.u16();
  if ((first & 0xC0) == 0x00) {  // STUN: 20-byte header, length a multiple of 4
    if (length % 4) return {FrameStatus::kInvalid};
    if (b.size() < 8) return {FrameStatus::kNeedMore};
    if (r.u32() != 0x2112A442) return {FrameStatus::kInvalid};  // e.g. TLS sent to the TCP port
    const std::size_t frame = 20 + length;
    if (b.size() < frame) return {FrameStatus::kNeedMore};
    return {FrameStatus::kFrame, frame, frame};
  }
  return {FrameStatus::kInvalid};
}

}  // namespace peerkit::turn
