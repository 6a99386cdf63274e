#include "sfu/outbound_stream.h"

#include <algorithm>

namespace peerkit::sfu {

namespace {
bool pic_newer(std::uint16_t a, std::uint16_t b, std::uint16_t mask) {
  const std::uint16_t d = static_cast<std::uint16_t>((a - b) & mask);
  return d != 0 && d < (mask >> 1) + 1;
}
}  // namespace

void OutboundStream::set_target_layer(std::optional<int> layer) {
  if (layer) layer = std::clamp(*layer, 0, kMaxLayers - 1);
  target_ = layer;
  if (!layer) current_.reset();  // paused: the next start needs a keyframe again
}

Expected<EgressFields, Drop> OutboundStream::forward(const IngressPacket& p) {
  auto drop = [this](Drop d) {
    ++stats_.dropped;
    return Unexpected(d);
  };
  if (!target_) return drop(Drop::kPaused);
  const bool can_start = !current_ && p.layer <= *target_;
  const bool reaches_target = current_ && p.layer == *target_ && p.layer != *current_;
  if (p.keyframe && p.payload_size > 0 && (can_start || reaches_target)) {
    switch_to(p);
  } else if (!current_) {
    return drop(Drop::kWaitingForKeyframe);
  } else if (p.layer != *current_) {
    return drop(Drop::kNotSelected);
  }
  const std::int64_t u = unwrapper_.unwrap(p.sequence);
  if (u < switch_seq_) return drop(Drop::kBeforeSwitch);
  ++stats_.forwarded;
  return rewrite(p, u);
}

void OutboundStream::switch_to(const IngressPacket& p) {
  std::int64_t out_seq;
  std::uint32_t out_ts;
  std::uint16_t out_pic;
  std::uint8_t out_tl0;
  if (started_) {
    out_seq = max_seq_ + 1;
    // Same wall-clock distance as the arrivals, in RTP ticks, never less than one tick.
    const std::int64_t elapsed_us = std::max<std::int64_t>(0, (p.arrival - last_arrival_).us());
    const std::int64_t ticks =
        std::max<std::int64_t>(1, elapsed_us * config_.clock_rate / 1'000'000);
    out_ts = last_ts_ + static_cast<std::uint32_t>(ticks);
    out_pic = static_cast<std::uint16_t>((max_pic_ + 1) & 0x7fff);
    out_tl0 = static_cast<std::uint8_t>(max_tl0_ + 1);
  } else {
    out_seq = rtp::SeqUnwrapper::kCycle + config_.first_sequence;
    out_ts = config_.first_timestamp;
    out_pic = config_.first_picture_id;
    out_tl0 = config_.first_tl0picidx;
  }
  unwrapper_.reset();
  switch_seq_ = unwrapper_.peek(p.sequence);
  seq_offset_ = out_seq - switch_seq_;
  ts_offset_ = out_ts - p.timestamp;
  pic_mask_ = p.picture_id_15bit ? 0x7fff : 0x7f;
  pic_offset_ = static_cast<std::uint16_t>(out_pic - p.picture_id);
  tl0_offset_ = static_cast<std::uint8_t>(out_tl0 - p.tl0picidx);
  if (current_) ++stats_.switches;
  current_ = p.layer;
}

EgressFields OutboundStream::rewrite(const IngressPacket& p, std::int64_t u) {
  EgressFields f;
  const std::int64_t out_seq = u + seq_offset_;
  f.sequence = static_cast<std::uint16_t>(out_seq);
  f.timestamp = p.timestamp + ts_offset_;
  f.picture_id = static_cast<std::uint16_t>((p.picture_id + pic_offset_) & pic_mask_);
  f.tl0picidx = static_cast<std::uint8_t>(p.tl0picidx + tl0_offset_);
  if (!started_ || out_seq > max_seq_) {
    max_seq_ = out_seq;
    last_ts_ = f.timestamp;
    last_arrival_ = p.arrival;
  }
  if (p.has_picture_id && (!started_ || pic_newer(f.picture_id, max_pic_, pic_mask_)))
    max_pic_ = f.picture_id;
  if (p.has_tl0picidx && (!started_ || rtp::serial_newer<std::uint8_t>(f.tl0picidx, max_tl0_)))
    max_tl0_ = f.tl0picidx;
  started_ = true;
  return f;
}

}  // namespace peerkit::sfu
