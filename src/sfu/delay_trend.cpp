#include "sfu/delay_trend.h"

#include <algorithm>
#include <cmath>

namespace peerkit::sfu {

namespace {

double ms(Duration d) { return static_cast<double>(d.us()) / 1000.0; }

// Least-squares slope of y over x; nullopt when x does not vary.
std::optional<double> slope(const std::deque<std::pair<double, double>>& points) {
  double sx = 0, sy = 0;
  for (const auto& [x, y] : points) {
    sx += x;
    sy += y;
  }
  const double n = static_cast<double>(points.size());
  const double mx = sx / n, my = sy / n;
  double num = 0, den = 0;
  for (const auto& [x, y] : points) {
    num += (x - mx) * (y - my);
    den += (x - mx) * (x - mx);
  }
  if (den == 0) return std::nullopt;
  return num / den;
}

}  // namespace

void DelayTrend::on_packets(const std::vector<PacketResult>& packets) {
  for (const auto& p : packets) {
    if (!p.received) continue;
    if (current_ && p.send_time < current_->first_send) continue;  // reordered across groups
    if (!current_) {
      current_ = Group{p.send_time, p.send_time, p.arrival};
    } else if (p.send_time - current_->first_send > kBurst) {
      // §5.2: a new burst starts; the finished one is compared with the one before it.
      if (previous_) on_group(*current_);
      previous_ = current_;
      current_ = Group{p.send_time, p.send_time, p.arrival};
    } else {
      current_->last_send = std::max(current_->last_send, p.send_time);
      current_->last_arrival = std::max(current_->last_arrival, p.arrival);
    }
  }
}

void DelayTrend::on_group(const Group& g) {
  const double send_gap = ms(g.last_send - previous_->last_send);
  const double arrival_gap = ms(g.last_arrival - previous_->last_arrival);
  const double variation = arrival_gap - send_gap;
  if (!first_arrival_) first_arrival_ = g.last_arrival;
  accumulated_ms_ += variation;
  smoothed_ms_ = kSmoothing * smoothed_ms_ + (1 - kSmoothing) * accumulated_ms_;
  points_.emplace_back(ms(g.last_arrival - *first_arrival_), smoothed_ms_);
  if (points_.size() > kWindow) points_.pop_front();
  samples_ = std::min(samples_ + 1, kMaxSamples);
  double trend = previous_trend_;
  if (points_.size() == kWindow)
    if (auto s = slope(points_)) trend = *s;
  detect(trend, arrival_gap);
}

void DelayTrend::detect(double trend, double dt_ms) {
  previous_trend_ = trend;
  const double modified = std::min(samples_, kMaxSamples) * trend * kGain;
  const double before = modified_trend_;
  modified_trend_ = modified;
  if (modified > threshold_ms_) {
    // The first over-threshold group counts half its gap: it started somewhere inside it.
    overuse_ms_ = overuse_ms_ < 0 ? dt_ms / 2 : overuse_ms_ + dt_ms;
    ++overuse_count_;
    if (overuse_ms_ > ms(kOveruseTime) && overuse_count_ > 1 && modified >= before) {
      overuse_ms_ = 0;
      overuse_count_ = 0;
      usage_ = BandwidthUsage::kOverusing;
    }
  } else if (modified < -threshold_ms_) {
    overuse_ms_ = -1;
    overuse_count_ = 0;
    usage_ = BandwidthUsage::kUnderusing;
  } else {
    overuse_ms_ = -1;
    overuse_count_ = 0;
    usage_ = BandwidthUsage::kNormal;
  }
  // §5.4: γ(i) = γ(i−1) + Δt·k·(|m(i)| − γ(i−1)); a spike far outside the band does not move it.
  const double magnitude = std::abs(modified);
  if (magnitude > threshold_ms_ + 15) return;
  const double k = magnitude < threshold_ms_ ? kDown : kUp;
  const double step_ms = std::clamp(dt_ms, 0.0, 100.0);
  threshold_ms_ = std::clamp(threshold_ms_ + k * (magnitude - threshold_ms_) * step_ms,
                             kThresholdMinMs, kThresholdMaxMs);
}

}  // namespace peerkit::sfu
