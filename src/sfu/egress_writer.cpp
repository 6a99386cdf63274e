#include "sfu/egress_writer.h"

#include <array>

#include "rtp/packet.h"
#include "rtp/vp8.h"

namespace peerkit::sfu {

Expected<std::size_t, rtp::Error> write_egress(const IngressPacket& in,
                                               const rtp::ExtensionMap& publisher_extensions,
                                               const SubscriberParams& sub, const EgressFields& f,
                                               MutableByteSpan out) {
  auto v = rtp::parse_packet(in.bytes);
  if (!v) return Unexpected(v.error());
  auto remapped = rtp::remap_extensions(v->extensions, publisher_extensions, sub.extensions);
  if (!remapped) return Unexpected(remapped.error());

  std::array<std::byte, 2> twcc{};
  if (f.transport_sequence) {
    twcc[0] = std::byte(static_cast<std::uint8_t>(*f.transport_sequence >> 8));
    twcc[1] = std::byte(static_cast<std::uint8_t>(*f.transport_sequence & 0xff));
  }
  rtp::ExtensionList ext;
  bool wrote_twcc = false;
  for (const rtp::Extension& e : remapped->view()) {
    rtp::Extension x = e;
    switch (sub.extensions.kind_of(e.id)) {
      case rtp::ExtensionKind::kMid:
        if (sub.mid.empty()) continue;
        x.data = as_bytes(sub.mid);
        break;
      case rtp::ExtensionKind::kRid:
      case rtp::ExtensionKind::kRepairedRid:
        continue;
      case rtp::ExtensionKind::kTransportWideCc:
        if (!f.transport_sequence) continue;
        x.data = twcc;
        wrote_twcc = true;
        break;
      default:
        break;
    }
    ext.push(x);
  }
  // The subscriber's congestion control needs every packet numbered, whether or not the
  // publisher's packet carried the extension (publishers often negotiate it differently).
  if (f.transport_sequence && !wrote_twcc)
    if (auto id = sub.extensions.id_of(rtp::ExtensionKind::kTransportWideCc))
      ext.push(rtp::Extension{*id, twcc});

  rtp::PacketBuild b;
  b.header = v->header;
  b.header.payload_type = sub.payload_type;
  b.header.sequence = f.sequence;
  b.header.timestamp = f.timestamp;
  b.header.ssrc = sub.ssrc;
  b.extensions = ext.view();
  b.payload = v->payload;
  b.padding = v->padding;
  auto n = rtp::build_packet(b, out);
  if (!n) return n;
  if (in.has_picture_id || in.has_tl0picidx) {
    // The descriptor keeps its length, so the payload sits at size - padding - payload.
    auto payload = out.subspan(*n - v->padding - v->payload.size(), v->payload.size());
    if (in.has_picture_id) rtp::vp8_set_picture_id(payload, f.picture_id);
    if (in.has_tl0picidx) rtp::vp8_set_tl0picidx(payload, f.tl0picidx);
  }
  return n;
}

}  // namespace peerkit::sfu
