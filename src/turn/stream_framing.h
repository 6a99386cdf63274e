// Splitting a TCP/TLS byte stream into STUN messages and ChannelData frames (RFC 8656 §12.5:
// over streams ChannelData is padded to a multiple of four; STUN messages always are).
#pragma once

#include <optional>

#include "common/bytes.h"

namespace peerkit::turn {

enum class FrameStatus { kNeedMore, kFrame, kInvalid };

struct FrameResult {
  FrameStatus status;
  std::size_t frame_length = 0;  // bytes to hand to the core
  std::size_t consumed = 0;      // bytes to drop from the stream (frame plus padding)
};

FrameResult next_frame(ByteSpan buffered);

}  // namespace peerkit::turn
