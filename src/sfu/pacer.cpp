#include "sfu/pacer.h"

#include <algorithm>

namespace peerkit::sfu {

// What it sends at: the pacing rate, or faster when what waits would otherwise wait more than
// kMaxQueueDelay (libwebrtc's pacer does the same: media is late rather than lost when the
// estimate is below what even the lowest layers send). At least 1 kbit/s: never a division by 0.
// The rate is the one that sends everything queued by the time the oldest packet has waited
// kMaxQueueDelay (at least 10 ms away, so that a late wake-up does not ask for a burst).
double Pacer::effective(double rate_bps, Timestamp now) const {
  double drain = 0;
  if (!queue_.empty()) {
    const Duration left = std::max(kMaxQueueDelay - (now - queued_at_.front()), Duration::millis(10));
    drain = static_cast<double>(queued_bytes_) * 8 * 1e6 / static_cast<double>(left.us());
  }
  return std::max({rate_bps, drain, 1000.0});
}

void Pacer::refill(double rate_bps, Timestamp now) {
  rate_bps = effective(rate_bps, now);
  const double bytes_per_us = rate_bps / 8 / 1e6;
  const double cap = bytes_per_us * static_cast<double>(kMaxBurst.us());
  if (!last_) {
    budget_ = cap;  // the first packet goes at once
  } else if (now > *last_) {
    budget_ = std::min(cap, budget_ + bytes_per_us * static_cast<double>((now - *last_).us()));
  }
  last_ = std::max(now, last_.value_or(now));
}

bool Pacer::admit(std::size_t size, double rate_bps, Timestamp now) {
  refill(rate_bps, now);
  if (!queue_.empty() || budget_ <= 0) return false;
  budget_ -= static_cast<double>(size);
  return true;
}

bool Pacer::enqueue(Packet p, double rate_bps, Timestamp now) {
  refill(rate_bps, now);
  if (queue_.size() >= kMaxQueued) {
    ++drops_;
    return false;
  }
  queued_bytes_ += p.bytes.size();
  queue_.push_back(std::move(p));
  queued_at_.push_back(now);
  return true;
}

std::optional<Pacer::Packet> Pacer::release(double rate_bps, Timestamp now) {
  if (queue_.empty()) return std::nullopt;
  refill(rate_bps, now);
  if (budget_ <= 0) return std::nullopt;
  Packet p = std::move(queue_.front());
  queue_.pop_front();
  queued_at_.pop_front();
  queued_bytes_ -= p.bytes.size();
  budget_ -= static_cast<double>(p.bytes.size());
  return p;
}

Timestamp Pacer::next_release(double rate_bps) const {
  if (queue_.empty() || !last_) return Timestamp::never();
  rate_bps = effective(rate_bps, *last_);
  if (budget_ > 0) return *last_;
  // The budget is back above zero once the rate has paid for what it is below.
  const double us = (-budget_ * 8 * 1e6 / rate_bps) + 1;
  return *last_ + Duration::micros(static_cast<std::int64_t>(us));
}

}  // namespace peerkit::sfu
