// Splitting a TCP/TLS byte stream into STUN messages and ChannelData frames (RFC 8656 §12.5:
// over streams ChannelData is padded to a multiple of four; STUN messages always are).
#pragma once

#include <optional>

#include "common/bytes.h"
#include "common/frame_cut.h"

namespace peerkit::turn {

using FrameStatus = FrameCut::Status;
using FrameResult = FrameCut;

// The next STUN message or ChannelData frame at the start of `buffered`; net::Stream takes this
// function as its framer as it is.
FrameCut next_frame(ByteSpan buffered);

}  // namespace peerkit::turn
