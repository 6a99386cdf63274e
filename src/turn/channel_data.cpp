// RFC 8656 §12.4 / §12.5: reading and writing ChannelData (diagram in channel_data.h).
#include "turn/channel_data.h"

#include <algorithm>

namespace peerkit::turn {

std::optional<ChannelDataHeader> parse_channel_data_header(ByteSpan packet) {
  if (packet.size() < kChannelDataHeaderSize) return std::nullopt;
  ByteReader r(packet);
  ChannelDataHeader h;
  h.channel = ChannelNumber{r.u16()};
  h.length = r.u16();
  return h;
}

std::optional<ChannelDataView> parse_channel_data(ByteSpan packet) {
  const auto h = parse_channel_data_header(packet);
  // §12.4: a Length beyond the bytes received means a truncated or forged message: drop it.
  if (!h || h->length > packet.size() - kChannelDataHeaderSize) return std::nullopt;
  return ChannelDataView{h->channel, packet.subspan(kChannelDataHeaderSize, h->length)};
}

bool encode_channel_data_header(MutableByteSpan out, ChannelNumber channel,
                                std::size_t payload_size) {
  if (out.size() < kChannelDataHeaderSize || payload_size > kMaxChannelDataPayload) return false;
  ByteWriter w(out.first(kChannelDataHeaderSize));
  w.u16(channel.value);
  w.u16(static_cast<std::uint16_t>(payload_size));
  return true;
}

std::size_t encode_channel_data(MutableByteSpan out, ChannelNumber channel, ByteSpan payload,
                                bool padded) {
  const std::size_t size = channel_data_size(payload.size(), padded);
  if (out.size() < size || !encode_channel_data_header(out, channel, payload.size())) return 0;
  auto rest = out.subspan(kChannelDataHeaderSize);
  std::copy(payload.begin(), payload.end(), rest.begin());
  // §12.5: the padding bytes are zero and not counted in Length.
  std::fill(rest.begin() + static_cast<std::ptrdiff_t>(payload.size()),
            out.begin() + static_cast<std::ptrdiff_t>(size), std::byte{0});
  return size;
}

}  // namespace peerkit::turn
