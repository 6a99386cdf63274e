#include "turn/stream_framing.h"

namespace peerkit::turn {

FrameResult next_frame(ByteSpan b) {
  if (b.size() < 4) return {FrameStatus::kNeedMore};
  ByteReader r(b);
  const std::uint8_t first = r.u8();
  r.u8();
  const std::size_t length = r.u16();
  if ((first & 0xC0) == 0x40) {  // ChannelData: 4-byte header, payload, padding
    const std::size_t frame = 4 + length;
    const std::size_t padded = (frame + 3) & ~std::size_t{3};
    if (b.size() < padded) return {FrameStatus::kNeedMore};
    return {FrameStatus::kFrame, frame, padded};
  }
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
