#include "sfu/bandwidth_estimator.h"

#include <algorithm>
#include <cmath>

namespace peerkit::sfu {

namespace {
double seconds(Duration d) { return static_cast<double>(d.us()) / 1e6; }
}  // namespace

BandwidthEstimator::BandwidthEstimator(const Config& config)
    : config_(config), delay_bps_(config.start_bps), loss_bps_(config.max_bps) {}

void BandwidthEstimator::on_packet_sent(std::uint16_t transport_seq, std::size_t size,
                                        Timestamp now) {
  history_.on_sent(transport_seq, size, now);
}

double BandwidthEstimator::estimate_bps() const {
  return std::clamp(std::min(delay_bps_, loss_bps_), config_.min_bps, config_.max_bps);
}

std::optional<double> BandwidthEstimator::acked_bps() const {
  if (acked_.size() < 2) return std::nullopt;
  const Duration span = acked_.back().first - acked_.front().first;
  if (span < Duration::micros(kAckedWindow.us() / 2)) return std::nullopt;  // too little seen to call it a rate
  // The first packet's bytes arrived before the span began.
  return static_cast<double>(acked_bytes_ - acked_.front().second) * 8 / seconds(span);
}

void BandwidthEstimator::on_feedback(const rtp::TransportFeedback& feedback, Timestamp now) {
  const auto packets = history_.on_feedback(feedback);
  reported_ += packets.size();
  if (packets.empty()) return;
  update_acked(packets);
  trend_.on_packets(packets);
  update_delay_based(now);
  update_loss_based(packets, now);
}

void BandwidthEstimator::update_acked(const std::vector<PacketResult>& packets) {
  for (const auto& p : packets) {
    if (!p.received) continue;
    if (!acked_.empty() && p.arrival < acked_.back().first) continue;  // reordered: keep it simple
    acked_.emplace_back(p.arrival, p.size);
    acked_bytes_ += p.size;
  }
  while (acked_.size() > 1 && acked_.back().first - acked_.front().first > kAckedWindow) {
    acked_bytes_ -= acked_.front().second;
    acked_.pop_front();
  }
}

void BandwidthEstimator::update_delay_based(Timestamp now) {
  const Duration dt = last_update_ ? std::min(now - *last_update_, Duration::seconds(1))
                                   : Duration::micros(0);
  last_update_ = now;
  const auto acked = acked_bps();
  switch (trend_.usage()) {
    case BandwidthUsage::kOverusing: {
      // §5.5: A_r ← β·R_r, from what actually got through, not from what was asked for.
      clean_ = Duration::micros(0);
      if (last_cut_ && now - *last_cut_ < kMinCutInterval) break;
      const double base = acked ? *acked : delay_bps_;
      delay_bps_ = std::min(delay_bps_, kBeta * base);
      cut_once_ = true;
      last_cut_ = now;
      break;
    }
    case BandwidthUsage::kUnderusing:
      break;  // hold: the queue drains at the current rate
    case BandwidthUsage::kNormal: {
      double per_second;
      if (!cut_once_) {
        per_second = 1.0;  // ×2 per second
      } else {
        clean_ = clean_ + dt;
        // Each full second without over-use makes the next one's growth 1.5× bigger.
        per_second = std::min(0.08 * std::pow(1.5, std::floor(seconds(clean_))), 0.5);
      }
      double grown = delay_bps_ * std::pow(1.0 + per_second, seconds(dt));
      if (acked) grown = std::min(grown, 1.5 * *acked + 10'000);
      delay_bps_ = std::max(delay_bps_, std::min(grown, config_.max_bps));
      break;
    }
  }
  delay_bps_ = std::clamp(delay_bps_, config_.min_bps, config_.max_bps);
}

void BandwidthEstimator::update_loss_based(const std::vector<PacketResult>& packets,
                                           Timestamp now) {
  for (const auto& p : packets) {
    ++window_sent_;
    if (!p.received) ++window_lost_;
  }
  if (window_sent_ < kLossWindowPackets) return;
  last_loss_ = static_cast<double>(window_lost_) / static_cast<double>(window_sent_);
  window_sent_ = window_lost_ = 0;
  const Duration dt = last_loss_update_ ? std::min(now - *last_loss_update_, Duration::seconds(1))
                                        : Duration::micros(0);
  last_loss_update_ = now;
  if (last_loss_ > 0.10) {
    // §4: A_s ← A_s·(1 − 0.5·p), at most once per 300 ms so one burst is not counted twice.
    if (!last_loss_cut_ || now - *last_loss_cut_ >= Duration::millis(300)) {
      loss_bps_ = std::min(loss_bps_, estimate_bps()) * (1 - 0.5 * last_loss_);
      last_loss_cut_ = now;
    }
  } else if (last_loss_ < 0.02) {
    // §4: A_s ← 1.05·A_s, here per 100 ms of feedback; it stops mattering once above the
    // delay-based estimate.
    loss_bps_ = std::min(config_.max_bps, loss_bps_ * std::pow(1.05, seconds(dt) * 10));
  }
  loss_bps_ = std::clamp(loss_bps_, config_.min_bps, config_.max_bps);
}

}  // namespace peerkit::sfu
