// The delay-based half of send-side bandwidth estimation (draft-ietf-rmcat-gcc-02 §5, with
// the trendline filter that replaced its Kalman filter in practice): is the bottleneck queue
// growing (over-use), draining (under-use) or steady?
//
// Packets are grouped by send time into bursts of ≤ 5 ms (§5.2). For consecutive groups the
// one-way delay variation is d = (arrival gap) − (send gap). A growing queue makes d positive
// on average. The accumulated variation is smoothed (α 0.9), and the slope of a least-squares
// line through the last 20 (arrival time, smoothed delay) points, scaled by the number of
// samples seen (≤ 60) and a gain of 4, is compared against an adaptive threshold γ (§5.4):
// γ follows |trend| upwards slowly (k_u 0.0087) and downwards fast (k_d 0.039), clamped to
// 6–600 ms, so a path whose delay jitters settles on a wider band instead of crying wolf.
// Over-use is declared when the trend has stayed above γ for ≥ 10 ms over ≥ 2 groups and is
// not falling; under-use when it is below −γ.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include "common/time.h"
#include "sfu/send_history.h"

namespace peerkit::sfu {

enum class BandwidthUsage { kNormal, kOverusing, kUnderusing };

class DelayTrend {
 public:
  static constexpr Duration kBurst = Duration::millis(5);
  static constexpr std::size_t kWindow = 20;
  static constexpr double kSmoothing = 0.9;
  static constexpr double kGain = 4.0;
  static constexpr double kMaxSamples = 60;
  static constexpr double kThresholdStartMs = 12.5;
  static constexpr double kThresholdMinMs = 6, kThresholdMaxMs = 600;
  static constexpr double kUp = 0.0087, kDown = 0.039;
  static constexpr Duration kOveruseTime = Duration::millis(10);

  // Received packets of one feedback, in send order (lost ones are skipped here).
  void on_packets(const std::vector<PacketResult>& packets);
  BandwidthUsage usage() const { return usage_; }
  double trend() const { return modified_trend_; }      // ms, the value compared with γ
  double threshold() const { return threshold_ms_; }  // γ, ms

 private:
  struct Group {
    Timestamp first_send, last_send, last_arrival;
  };
  void on_group(const Group& g);
  void detect(double trend, double dt_ms);

  std::optional<Group> current_, previous_;
  std::optional<Timestamp> first_arrival_;
  double accumulated_ms_ = 0, smoothed_ms_ = 0;
  std::deque<std::pair<double, double>> points_;  // (arrival ms since the first, smoothed delay)
  double samples_ = 0;
  double modified_trend_ = 0, previous_trend_ = 0;
  double threshold_ms_ = kThresholdStartMs;
  double overuse_ms_ = -1;
  int overuse_count_ = 0;
  BandwidthUsage usage_ = BandwidthUsage::kNormal;
};

}  // namespace peerkit::sfu
