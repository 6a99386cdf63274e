#include "sfu/ingress_packet.h"

#include "rtp/packet.h"
#include "rtp/vp8.h"

namespace peerkit::sfu {

Expected<IngressRef, rtp::Error> make_ingress(ByteSpan packet, Timestamp arrival, int layer,
                                              Codec codec) {
  if (packet.size() > kMaxPacketSize) return Unexpected(rtp::Error::kBadLength);
  auto v = rtp::parse_packet(packet);
  if (!v) return Unexpected(v.error());
  auto p = std::make_shared<IngressPacket>();
  p->bytes.assign(packet.begin(), packet.end());
  p->arrival = arrival;
  p->layer = layer < 0 ? 0 : (layer >= kMaxLayers ? kMaxLayers - 1 : layer);
  p->sequence = v->header.sequence;
  p->timestamp = v->header.timestamp;
  p->ssrc = v->header.ssrc;
  p->marker = v->header.marker;
  p->payload_offset = v->header_size;
  p->payload_size = v->payload.size();
  if (codec == Codec::kVp8 && !v->payload.empty()) {
    auto d = rtp::parse_vp8(v->payload);
    if (!d) return Unexpected(d.error());
    p->keyframe = rtp::vp8_is_keyframe(v->payload);
    p->has_picture_id = d->has_picture_id;
    p->picture_id_15bit = d->picture_id_15bit;
    p->picture_id = d->picture_id;
    p->has_tl0picidx = d->has_tl0picidx;
    p->tl0picidx = d->tl0picidx;
  } else if (codec != Codec::kVp8) {
    p->keyframe = true;  // audio (and codecs we cannot inspect) switch at any packet
  }
  return IngressRef(std::move(p));
}

}  // namespace peerkit::sfu
