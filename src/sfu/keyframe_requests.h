// Keyframe requests toward one publisher's track, aggregated and throttled per simulcast layer.
// Every subscriber of a layer may ask for a keyframe (its PLI, RFC 4585 §6.3.1, or FIR,
// RFC 5104 §4.3.1, after loss or at a join) and every pending layer switch needs one
// (sfu/outbound_stream.h); the publisher must not see a PLI per subscriber: a keyframe costs
// several times a delta frame on its uplink. So requests only mark the layer; one PLI per layer
// leaves at most once per min_interval (500 ms by default), and a keyframe that arrives in the
// meantime answers every pending request at once.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "common/time.h"
#include "rtp/rtcp.h"
#include "sfu/ingress_packet.h"

namespace peerkit::sfu {

class KeyframeRequests {
 public:
  struct Config {
    Duration min_interval = Duration::millis(500);
  };
  KeyframeRequests() = default;
  explicit KeyframeRequests(const Config& config) : config_(config) {}

  // A subscriber or a pending switch wants a keyframe of `layer` (clamped to 0 … kMaxLayers-1).
  void request(int layer);
  // The layer's keyframe arrived: nobody waits any more.
  void on_keyframe(int layer);

  struct Due {
    int layer = 0;
    std::uint8_t fir_sequence = 0;  // for publishers that take FIR only (RFC 5104 §4.3.1.1)
  };
  // The next layer whose request may leave now (call until nullopt); marks it sent. Layers not
  // `addressable` (no SSRC known yet to put in the PLI) stay pending.
  std::optional<Due> poll(Timestamp now,
                          std::array<bool, kMaxLayers> addressable = {true, true, true});
  // When a throttled request of an addressable layer becomes due (Timestamp::never() if none
  // waits; a layer without SSRC wakes nobody: its first packet triggers the request instead).
  Timestamp next_timeout(std::array<bool, kMaxLayers> addressable = {true, true, true}) const;

  bool pending(int layer) const { return layers_[clamp(layer)].pending; }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t requested() const { return requested_; }

 private:
  static std::size_t clamp(int layer);
  struct Layer {
    bool pending = false;
    std::optional<Timestamp> last_sent;
    std::uint8_t fir_sequence = 0;
  };
  Config config_;
  std::array<Layer, kMaxLayers> layers_{};
  std::uint64_t sent_ = 0;
  std::uint64_t requested_ = 0;
};

// The RTCP for a due request: a PLI for `media_ssrc`, or a FIR when the publisher negotiated
// only `ccm fir`. Returns the size written into `out` (rtp::build_compound errors).
Expected<std::size_t, rtp::Error> write_keyframe_request(bool use_fir, std::uint32_t sender_ssrc,
                                                         std::uint32_t media_ssrc,
                                                         std::uint8_t fir_sequence,
                                                         MutableByteSpan out);

}  // namespace peerkit::sfu
