// libFuzzer: TCP/TLS stream framing (STUN and padded ChannelData) over arbitrary byte streams,
// cut at arbitrary points, and ChannelData parsing by the server core.
#include <cstdint>
#include <vector>

#include "turn/stream_framing.h"

using namespace peerkit;
using namespace peerkit::turn;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The first byte chooses how the stream arrives: in chunks of 1..256 bytes.
  const std::size_t chunk = 1 + data[0];
  const ByteSpan stream(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  std::vector<std::byte> buffered;
  std::size_t fed = 0;
  while (fed < stream.size()) {
    const std::size_t n = std::min(chunk, stream.size() - fed);
    buffered.insert(buffered.end(), stream.begin() + static_cast<long>(fed),
                    stream.begin() + static_cast<long>(fed + n));
    fed += n;
    for (;;) {
      auto r = next_frame(buffered);
      if (r.status == FrameStatus::kNeedMore) break;
      if (r.status == FrameStatus::kInvalid) return 0;
      if (r.frame_length > r.consumed || r.consumed > buffered.size()) __builtin_trap();
      buffered.erase(buffered.begin(), buffered.begin() + static_cast<long>(r.consumed));
    }
  }
  return 0;
}
