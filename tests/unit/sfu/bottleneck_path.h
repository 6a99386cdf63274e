// A simulated network path for the bandwidth estimator's tests, on a virtual clock: a
// bottleneck of a given capacity with a drop-tail queue, fixed propagation delay each way,
// optional random loss, and a receiver that sends transport-wide CC feedback every 50 ms over
// the same delay back — what Chrome does for a subscriber.
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "common/time.h"
#include "rtp/sequence.h"
#include "rtp/twcc.h"

namespace peerkit::sfu::test {

struct PathConfig {
  double capacity_bps = 1'000'000;
  Duration one_way = Duration::millis(20);
  Duration max_queue = Duration::millis(300);  // drop-tail beyond this much queued delay
  double random_loss = 0;                      // dropped before the bottleneck, uniformly
  Duration feedback_interval = Duration::millis(50);
  std::uint32_t seed = 1;
};

class BottleneckPath {
 public:
  explicit BottleneckPath(PathConfig c) : c_(c), rng_(c.seed) {}
  void set_capacity(double bps) { c_.capacity_bps = bps; }
  void set_random_loss(double p) { c_.random_loss = p; }

  void send(std::uint16_t transport_seq, std::size_t size, Timestamp now) {
    const std::int64_t seq = unwrap_.unwrap(transport_seq);
    ++sent_;
    if (c_.random_loss > 0 && std::uniform_real_distribution<>(0, 1)(rng_) < c_.random_loss) return;
    const Timestamp start = std::max(now, link_free_);
    if (start - now > c_.max_queue) {
      ++queue_drops_;
      return;
    }
    link_free_ = start + Duration::micros(static_cast<std::int64_t>(
                             static_cast<double>(size) * 8 * 1e6 / c_.capacity_bps));
    to_receiver_.push_back({seq, link_free_ + c_.one_way, size});
    queueing_ = start - now;
  }

  // The feedback that has reached the sender by `now`.
  std::vector<rtp::TransportFeedback> poll(Timestamp now) {
    while (!to_receiver_.empty() && to_receiver_.front().at <= now) {
      received_.push_back(to_receiver_.front());
      delivered_bytes_ += to_receiver_.front().size;
      to_receiver_.pop_front();
    }
    if (next_feedback_ == Timestamp{}) next_feedback_ = now + c_.feedback_interval;
    if (now >= next_feedback_) {
      next_feedback_ = next_feedback_ + c_.feedback_interval;
      if (!received_.empty()) to_sender_.push_back({now + c_.one_way, build()});
    }
    std::vector<rtp::TransportFeedback> out;
    while (!to_sender_.empty() && to_sender_.front().first <= now) {
      out.push_back(std::move(to_sender_.front().second));
      to_sender_.pop_front();
    }
    return out;
  }

  std::uint64_t sent() const { return sent_; }
  std::uint64_t queue_drops() const { return queue_drops_; }
  std::uint64_t delivered_bytes() const { return delivered_bytes_; }
  Duration queueing() const { return queueing_; }  // of the last packet that entered

 private:
  struct InFlight {
    std::int64_t seq;
    Timestamp at;
    std::size_t size;
  };

  // Everything from the first unreported sequence up to the newest arrival; the gaps are lost.
  rtp::TransportFeedback build() {
    rtp::TransportFeedback f;
    const std::int64_t first = next_report_ < 0 ? received_.front().seq : next_report_;
    const std::int64_t last = received_.back().seq;
    f.base_sequence = static_cast<std::uint16_t>(first);
    f.feedback_count = feedback_count_++;
    // The receiver's clock runs from an unrelated origin: only differences are meaningful.
    const std::int64_t origin = 1'000'000'000;
    const std::int64_t first_us = received_.front().at.us() + origin;
    f.reference_time = static_cast<std::int32_t>((first_us / rtp::kTwccReferenceUs) & 0x7fffff);
    std::int64_t previous = std::int64_t{f.reference_time} * rtp::kTwccReferenceUs;
    std::size_t r = 0;
    for (std::int64_t seq = first; seq <= last; ++seq) {
      rtp::TwccPacket p;
      if (r < received_.size() && received_[r].seq == seq) {
        const std::int64_t q = (received_[r].at.us() + origin) / rtp::kTwccDeltaUs * rtp::kTwccDeltaUs;
        p.delta = static_cast<std::int32_t>((q - previous) / rtp::kTwccDeltaUs);
        p.status = rtp::twcc_status_for(p.delta);
        previous = q;
        ++r;
      }
      f.packets.push_back(p);
    }
    next_report_ = last + 1;
    received_.clear();
    return f;
  }

  PathConfig c_;
  std::mt19937 rng_;
  rtp::SeqUnwrapper unwrap_;
  Timestamp link_free_;
  std::deque<InFlight> to_receiver_;
  std::vector<InFlight> received_;
  std::deque<std::pair<Timestamp, rtp::TransportFeedback>> to_sender_;
  Timestamp next_feedback_;
  std::int64_t next_report_ = -1;
  std::uint8_t feedback_count_ = 0;
  std::uint64_t sent_ = 0, queue_drops_ = 0, delivered_bytes_ = 0;
  Duration queueing_ = Duration::micros(0);
};

}  // namespace peerkit::sfu::test
