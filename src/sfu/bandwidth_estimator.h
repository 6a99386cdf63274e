// Send-side bandwidth estimate for one subscriber connection (issue 11): how fast the SFU may
// send to it. Fed with what was sent (transport-wide sequence, size, time) and the receiver's
// transport-wide CC feedback; read by the layer choice and the pacer.
//
// Two controllers, the smaller wins (draft-ietf-rmcat-gcc-02 §4, §5):
// - Delay-based (sfu/delay_trend.h → AIMD, §5.5): over-use cuts the rate to β = 0.85 × the
//   rate the receiver acknowledged over the last 500 ms; under-use holds it; otherwise it grows.
//   Before the first cut it grows ×2 per second (a slow start, so a new subscriber finds a
//   few Mbit/s within seconds instead of the minutes 8 %/s would take); after a cut it grows
//   8 % per second, and that rate itself ×1.5 for each further second without over-use (up to
//   50 %/s), so a lifted cap is found again within seconds while a steady path stays near its
//   capacity. It never exceeds 1.5 × the acknowledged rate + 10 kbit/s: an estimate the
//   sender has not used is not known to be there.
// - Loss-based (§4): over each ≥ 50-packet window, loss above 10 % cuts the rate by half the
//   loss fraction (at most once per 300 ms), loss below 2 % lets it rise, in between holds.
//   Random loss of a few percent (radio) therefore does not drive the estimate down.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "common/time.h"
#include "rtp/twcc.h"
#include "sfu/delay_trend.h"
#include "sfu/send_history.h"

namespace peerkit::sfu {

class BandwidthEstimator {
 public:
  struct Config {
    double start_bps = 300'000;
    double min_bps = 30'000;
    double max_bps = 50'000'000;
  };
  static constexpr double kBeta = 0.85;
  static constexpr Duration kAckedWindow = Duration::millis(250);
  static constexpr std::size_t kLossWindowPackets = 100;
  // One over-use is one cut: the queue takes a moment to drain after the rate dropped.
  static constexpr Duration kMinCutInterval = Duration::millis(200);

  explicit BandwidthEstimator(const Config& config);

  void on_packet_sent(std::uint16_t transport_seq, std::size_t size, Timestamp now);
  void on_feedback(const rtp::TransportFeedback& feedback, Timestamp now);

  double estimate_bps() const;
  // What the receiver acknowledged over the last 500 ms of its clock (nullopt until known).
  std::optional<double> acked_bps() const;
  double loss_fraction() const { return last_loss_; }  // of the last complete window
  BandwidthUsage usage() const { return trend_.usage(); }
  bool in_slow_start() const { return !cut_once_; }
  // Packets feedback has reported on so far (received or lost), and feedback packets naming
  // numbers this connection never sent (or sent too long ago).
  std::uint64_t reported() const { return reported_; }
  std::size_t unknown_reports() const { return history_.unknown_reports(); }

 private:
  void update_acked(const std::vector<PacketResult>& packets);
  void update_delay_based(Timestamp now);
  void update_loss_based(const std::vector<PacketResult>& packets, Timestamp now);

  Config config_;
  SendHistory history_;
  DelayTrend trend_;
  double delay_bps_;
  double loss_bps_;
  bool cut_once_ = false;
  std::optional<Timestamp> last_cut_;
  Duration clean_ = Duration::micros(0);  // growing without over-use since the last cut
  std::optional<Timestamp> last_update_;
  std::deque<std::pair<Timestamp, std::size_t>> acked_;  // (arrival, bytes), kAckedWindow long
  std::size_t acked_bytes_ = 0;
  std::size_t window_sent_ = 0, window_lost_ = 0;
  double last_loss_ = 0;
  std::optional<Timestamp> last_loss_cut_;
  std::optional<Timestamp> last_loss_update_;
  std::uint64_t reported_ = 0;
};

}  // namespace peerkit::sfu
