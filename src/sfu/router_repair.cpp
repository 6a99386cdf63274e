// Router: NACK and RTX on the publisher leg (RFC 4585 §6.2.1, RFC 4588 §4). What a publisher's
// packets lose on the way in is asked for (rtp/missing_packets.h) and its retransmissions,
// which come on its RTX stream, are turned back into the original packet and forwarded like
// media — only those the SFU was missing, so that Chrome's RTX padding probes and repeats of
// packets that did arrive never reach subscribers twice.
#include <algorithm>

#include "rtp/extension_values.h"
#include "rtp/rtcp.h"
#include "sfu/router.h"
#include "sfu/router_internal.h"

namespace peerkit::sfu {

Router::Track* Router::rtx_track_for(ParticipantId from, const rtp::PacketView& v, int* layer) {
  if (Track* t = indexed(rtx_index_, from, v.header.ssrc, layer)) return t;
  for (const auto& [id, t] : tracks_) {
    const TrackParams& tp = t->params;
    if (tp.publisher != from) continue;
    auto mid_id = tp.extensions.id_of(rtp::ExtensionKind::kMid);
    auto mid = mid_id ? v.extensions.find(*mid_id) : std::nullopt;
    if (!mid || as_string_view(*mid) != tp.mid) continue;
    auto rrid_id = tp.extensions.id_of(rtp::ExtensionKind::kRepairedRid);
    auto rrid = rrid_id ? v.extensions.find(*rrid_id) : std::nullopt;
    const bool rtx_type = tp.rtx_payload_type && v.header.payload_type == *tp.rtx_payload_type;
    if (!rrid && !rtx_type) continue;
    int l = 0;
    if (!tp.rids.empty()) {  // simulcast: the repaired-rid names the layer (RFC 8852 §3.2)
      if (!rrid) return nullptr;
      auto r = std::find(tp.rids.begin(), tp.rids.end(), as_string_view(*rrid));
      if (r == tp.rids.end()) return nullptr;
      l = static_cast<int>(r - tp.rids.begin());
    }
    const std::pair<TrackId, int> bound{id, l};
    std::erase_if(rtx_index_, [&](const auto& kv) {  // the layer's RTX stream restarted
      return kv.first.first == from && kv.second == bound;
    });
    rtx_index_[{from, v.header.ssrc}] = bound;
    *layer = l;
    return t.get();
  }
  return nullptr;
}

bool Router::repair(Timestamp now, ParticipantId from, const rtp::PacketView& v) {
  int layer = 0;
  Track* t = rtx_track_for(from, v, &layer);
  if (!t) return false;
  const auto l = static_cast<std::size_t>(layer);
  // RFC 4588 §4: the payload starts with the original sequence number (OSN). Shorter is a
  // padding-only probe, already counted in the transport-wide feedback.
  if (v.payload.size() < 2) return true;
  const auto osn = static_cast<std::uint16_t>((std::to_integer<unsigned>(v.payload[0]) << 8) |
                                              std::to_integer<unsigned>(v.payload[1]));
  auto& missing = t->missing[l];
  if (!missing || !t->media_pt[l] || !t->layer_ssrc[l] || !missing->is_missing(osn)) {
    ++stats_.rtx_unrequested;
    return true;
  }
  rtp::PacketBuild b;
  b.header = v.header;
  b.header.ssrc = *t->layer_ssrc[l];
  b.header.sequence = osn;
  b.header.payload_type = *t->media_pt[l];
  b.extensions = v.extensions.view();
  b.payload = v.payload.subspan(2);
  auto n = rtp::build_packet(b, repair_buffer_);
  if (!n) return true;
  auto in = make_ingress(std::span(repair_buffer_).first(*n), now, layer, t->params.codec);
  if (!in) return true;  // still missing: a later retransmission may be well-formed
  missing->repaired(osn);
  if (auto& r = t->receive[l]) r->on_packet(osn, v.header.timestamp, now);
  ++stats_.repaired;
  forward(now, *t, *in);
  return true;
}

void Router::send_publisher_nacks(Timestamp now) {
  for (auto& [id, t] : tracks_)
    for (std::size_t l = 0; l < kMaxLayers; ++l) {
      if (!t->missing[l] || !t->layer_ssrc[l]) continue;
      const auto seqs = t->missing[l]->due(now);
      if (seqs.empty()) continue;
      std::array<rtp::RtcpPacket, 1> p{
          rtp::GenericNack{config_.rtcp_ssrc, *t->layer_ssrc[l], rtp::nack_items(seqs)}};
      std::array<std::byte, 1200> buf{};  // ≤ 256 numbers: at most 256 items of 4 bytes
      auto n = rtp::build_compound(p, buf);
      if (!n) continue;
      push(t->params.publisher, true, std::span(buf).first(*n));
      ++stats_.publisher_nacks_sent;
    }
}

Timestamp Router::next_publisher_nack() const {
  Timestamp next = Timestamp::never();
  for (const auto& [id, t] : tracks_)
    for (const auto& m : t->missing)
      if (m) next = std::min(next, m->next_timeout());
  return next;
}

}  // namespace peerkit::sfu
