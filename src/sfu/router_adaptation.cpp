// Router: layers from the subscriber's bandwidth estimate, and padding probes (issue 11).
#include <algorithm>

#include "rtp/extension_values.h"
#include "sfu/layer_allocator.h"
#include "sfu/router.h"
#include "sfu/router_internal.h"

namespace peerkit::sfu {

void Router::allocate(ParticipantId subscriber, Connection& c, Timestamp now) {
  c.last_allocation = now;
  std::vector<Subscription*> subs;
  std::vector<LayerDemand> demands;
  for (auto& [id, s] : subscriptions_) {
    if (s->subscriber != subscriber) continue;
    auto t = tracks_.find(s->track);
    if (t == tracks_.end()) continue;
    LayerDemand d;
    d.audio = t->second->params.codec == Codec::kOpus;
    d.preferred = s->preferred;
    d.current = s->stream.current_layer();
    for (int l = 0; l < kMaxLayers; ++l)
      d.rate_bps[static_cast<std::size_t>(l)] = t->second->layer_rate[static_cast<std::size_t>(l)].bps(now);
    subs.push_back(s.get());
    demands.push_back(d);
  }
  const LayerPlan plan = allocate_layers(c.bandwidth.estimate_bps(), demands);
  for (std::size_t i = 0; i < subs.size(); ++i) {
    if (demands[i].audio || plan.layers[i] == subs[i]->stream.target_layer()) continue;
    apply_layer(*subs[i], plan.layers[i]);
    ++stats_.layer_changes;
  }
  const bool was_probing = c.blocked_bps.has_value();
  c.blocked_bps = plan.blocked_upgrade_bps;
  if (c.blocked_bps && !was_probing) {
    c.next_probe = now;
    c.probe_credit = 0;
  }
}

// While an upgrade waits only for the estimate, fill the connection up to the estimate with
// padding-only packets on an RTX stream (RFC 4588 §4 allows them; receivers drop them): the
// estimator then sees the path carry the estimate, and grows it past what the media alone
// would show (BandwidthEstimator caps itself at 1.5 × what was acknowledged). Over-use means
// the path has no room for the upgrade: padding stops for kProbePause, so a subscriber behind
// a cap is not kept saturated by padding; the probe ends when the upgrade fits or nothing is
// blocked any more.
void Router::probe(ParticipantId subscriber, Connection& c, Timestamp now) {
  c.next_probe = now + config_.probe_tick;
  if (c.bandwidth.usage() == BandwidthUsage::kOverusing) {
    c.probe_credit = 0;
    c.next_probe = now + config_.probe_pause;
    return;
  }
  const double target = std::min(c.bandwidth.estimate_bps(), *c.blocked_bps);
  const double gap_bps = target - c.sent.bps(now);
  if (gap_bps <= 0) return;
  c.probe_credit = std::min(c.probe_credit + gap_bps / 8 * (config_.probe_tick.us() / 1e6),
                            4.0 * 1200);
  // Any video subscription of this connection with RTX negotiated carries the padding.
  Subscription* carrier = nullptr;
  for (auto& [id, s] : subscriptions_)
    if (s->subscriber == subscriber && s->params.rtx_ssrc != 0 &&
        s->params.extensions.id_of(rtp::ExtensionKind::kTransportWideCc)) {
      carrier = s.get();
      break;
    }
  if (!carrier) return;
  const std::uint8_t twcc_id = *carrier->params.extensions.id_of(rtp::ExtensionKind::kTransportWideCc);
  constexpr std::uint8_t kPadding = 255;  // the most one RTP packet can say (RFC 3550 §5.1)
  std::array<std::byte, 64 + kPadding> buf{};
  while (c.probe_credit >= kPadding) {
    const std::uint16_t seq = c.transport_sequence++;
    const auto twcc = rtp::transport_cc_bytes(seq);
    const rtp::Extension ext{twcc_id, ByteSpan(twcc)};
    rtp::PacketBuild b;
    b.header.payload_type = carrier->params.rtx_payload_type;
    b.header.sequence = carrier->responder.take_rtx_sequence();
    b.header.ssrc = carrier->params.rtx_ssrc;
    b.extensions = std::span(&ext, 1);
    b.padding = kPadding;
    auto n = rtp::build_packet(b, buf);
    if (!n) return;
    if (send_media(subscriber, &c, std::span(buf).first(*n), seq, now)) ++stats_.padding_packets;
    c.probe_credit -= static_cast<double>(*n);
  }
}

}  // namespace peerkit::sfu
