// The retransmission timeout (RFC 6298 §2, as RFC 9260 §6.3.1 applies it), with WebRTC's
// bounds rather than the RFC's 1 s minimum: RTO.initial 200 ms (the issue asks ≤ 200 ms; 1 s,
// libdatachannel's, is a visible stall at set-up), RTO.min 100 ms, RTO.max 6 s.
#pragma once

#include <algorithm>
#include <optional>

#include "common/time.h"

namespace peerkit::sctp {

struct RtoBounds {
  Duration initial = Duration::millis(200);
  Duration min = Duration::millis(100);
  Duration max = Duration::seconds(6);
};

class RtoEstimator {
 public:
  explicit RtoEstimator(RtoBounds b = {}) : bounds_(b), rto_(b.initial) {}

  Duration rto() const { return rto_; }
  std::optional<Duration> srtt() const { return srtt_; }

  // RFC 6298 §2.2/§2.3 with alpha = 1/8, beta = 1/4, G = 1 ms.
  void measured(Duration r) {
    if (r < Duration::micros(0)) return;
    if (!srtt_) {
      srtt_ = r;
      rttvar_ = Duration::micros(r.us() / 2);
    } else {
      const std::int64_t diff = std::abs(srtt_->us() - r.us());
      rttvar_ = Duration::micros((3 * rttvar_.us() + diff) / 4);
      srtt_ = Duration::micros((7 * srtt_->us() + r.us()) / 8);
    }
    const auto var = std::max(Duration::millis(1), Duration::micros(4 * rttvar_.us()));
    rto_ = clamp(*srtt_ + var);
  }
  // RFC 6298 §5.5: back off on a timeout.
  void backoff() { rto_ = clamp(rto_ * 2); }

 private:
  Duration clamp(Duration d) const { return std::clamp(d, bounds_.min, bounds_.max); }
  RtoBounds bounds_;
  Duration rto_;
  std::optional<Duration> srtt_;
  Duration rttvar_;
};

}  // namespace peerkit::sctp
