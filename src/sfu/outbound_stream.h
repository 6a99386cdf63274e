// One subscriber's view of one published track: out of the publisher's simulcast layers (one
// SSRC each, by rid) it selects one at a time and rewrites it into a single continuous stream,
// so a layer switch is invisible to the subscriber's jitter buffer and decoder:
//
//   - sequence numbers (RFC 3550 §5.1) are contiguous across switches: the first packet of the
//     new layer follows the highest number sent so far; packets of other layers are never
//     counted; loss and reordering inside the selected layer pass through unchanged (the
//     subscriber NACKs a real gap);
//   - the RTP timestamp continues: at a switch the new layer's offset is chosen so its first
//     frame lies after the last one sent by the arrival-time distance (at least one tick), so
//     the timeline neither goes back nor jumps far ahead (layers have unrelated random bases);
//   - VP8 picture id (15 or 7 bits) and TL0PICIDX (RFC 7741 §4.2) continue by one at a switch.
//
// Switches are keyframe-gated: a decoder cannot start a layer mid-GOP, so the current layer keeps
// flowing until the target layer's keyframe arrives (a target that never sends one never stalls
// the current layer). With nothing selected yet, a keyframe of any layer up to the target starts
// the stream, and the target's own keyframe upgrades it later. The caller asks the publisher for
// that keyframe while switch_pending() (sfu/keyframe_requests.h).
#pragma once

#include <cstdint>
#include <optional>

#include "common/expected.h"
#include "rtp/sequence.h"
#include "sfu/egress_writer.h"
#include "sfu/ingress_packet.h"

namespace peerkit::sfu {

enum class Drop : std::uint8_t {
  kPaused,              // no layer wanted (nobody watches, or bandwidth says none)
  kNotSelected,         // another layer than the one forwarded
  kWaitingForKeyframe,  // nothing forwarded yet and this is not a keyframe we may start on
  kBeforeSwitch,        // a reordered packet of the selected layer from before the switch point
};

class OutboundStream {
 public:
  struct Config {
    std::uint32_t clock_rate = 90'000;  // 48 000 for Opus
    // Where the subscriber's stream starts (random per RFC 3550 §5.1; the caller draws them).
    std::uint16_t first_sequence = 0;
    std::uint32_t first_timestamp = 0;
    std::uint16_t first_picture_id = 0;
    std::uint8_t first_tl0picidx = 0;
  };

  explicit OutboundStream(const Config& config) : config_(config) {}

  // The layer the subscriber should get; nullopt pauses the stream (resuming waits for a keyframe).
  void set_target_layer(std::optional<int> layer);
  std::optional<int> target_layer() const { return target_; }
  std::optional<int> current_layer() const { return current_; }
  // A target is set and not yet reached: the caller should ask for the target's keyframe.
  bool switch_pending() const { return target_ && target_ != current_; }
  // egress RTP timestamp = ingress timestamp of the current layer + this (its SR maps likewise).
  std::uint32_t timestamp_offset() const { return ts_offset_; }

  // Decides on one ingress packet (of any layer of the track) and computes its egress fields.
  Expected<EgressFields, Drop> forward(const IngressPacket& p);

  struct Stats {
    std::uint64_t forwarded = 0;
    std::uint64_t dropped = 0;
    std::uint64_t switches = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  void switch_to(const IngressPacket& p);
  EgressFields rewrite(const IngressPacket& p, std::int64_t unwrapped_seq);

  Config config_;
  std::optional<int> target_;
  std::optional<int> current_;
  Stats stats_;

  // Mapping of the current layer onto the egress stream.
  rtp::SeqUnwrapper unwrapper_;
  std::int64_t switch_seq_ = 0;  // unwrapped ingress seq of the keyframe we switched at
  std::int64_t seq_offset_ = 0;  // egress (unwrapped) = ingress (unwrapped) + offset
  std::uint32_t ts_offset_ = 0;
  std::uint16_t pic_offset_ = 0;
  std::uint16_t pic_mask_ = 0x7fff;
  std::uint8_t tl0_offset_ = 0;

  // The egress stream so far.
  bool started_ = false;
  std::int64_t max_seq_ = 0;   // highest egress seq sent (unwrapped)
  std::uint32_t last_ts_ = 0;  // timestamp of that packet
  Timestamp last_arrival_;     // its ingress arrival time
  std::uint16_t max_pic_ = 0;
  std::uint8_t max_tl0_ = 0;
};

}  // namespace peerkit::sfu
