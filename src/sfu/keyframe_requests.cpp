#include "sfu/keyframe_requests.h"

#include <algorithm>

namespace peerkit::sfu {

std::size_t KeyframeRequests::clamp(int layer) {
  return static_cast<std::size_t>(std::clamp(layer, 0, kMaxLayers - 1));
}

void KeyframeRequests::request(int layer) {
  ++requested_;
  layers_[clamp(layer)].pending = true;
}

void KeyframeRequests::on_keyframe(int layer) {
  layers_[clamp(layer)].pending = false;
}

std::optional<KeyframeRequests::Due> KeyframeRequests::poll(
    Timestamp now, std::array<bool, kMaxLayers> addressable) {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Layer& l = layers_[i];
    if (!l.pending || !addressable[i]) continue;
    if (l.last_sent && now - *l.last_sent < config_.min_interval) continue;
    l.pending = false;
    l.last_sent = now;
    ++l.fir_sequence;
    ++sent_;
    return Due{static_cast<int>(i), l.fir_sequence};
  }
  return std::nullopt;
}

Timestamp KeyframeRequests::next_timeout(std::array<bool, kMaxLayers> addressable) const {
  Timestamp next = Timestamp::never();
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    if (!l.pending || !addressable[i]) continue;
    // Never sent: due at once (the caller polls right after requesting; this is a fallback).
    const Timestamp due = l.last_sent ? *l.last_sent + config_.min_interval : Timestamp();
    next = std::min(next, due);
  }
  return next;
}

Expected<std::size_t, rtp::Error> write_keyframe_request(bool use_fir, std::uint32_t sender_ssrc,
                                                         std::uint32_t media_ssrc,
                                                         std::uint8_t fir_sequence,
                                                         MutableByteSpan out) {
  std::array<rtp::RtcpPacket, 1> p;
  if (use_fir) {
    p[0] = rtp::Fir{sender_ssrc, {rtp::FirEntry{media_ssrc, fir_sequence}}};
  } else {
    p[0] = rtp::Pli{sender_ssrc, media_ssrc};
  }
  return rtp::build_compound(p, out);
}

}  // namespace peerkit::sfu
