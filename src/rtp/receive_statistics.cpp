#include "rtp/receive_statistics.h"

#include <algorithm>
#include <limits>

namespace peerkit::rtp {

void ReceiveStatistics::on_packet(std::uint16_t sequence, std::uint32_t rtp_timestamp,
                                  Timestamp now) {
  const std::int64_t ext = sequences_.unwrap(sequence);
  if (received_ == 0) {
    base_ext_ = max_ext_ = ext;
    first_arrival_ = now;
  } else {
    max_ext_ = std::max(max_ext_, ext);
    base_ext_ = std::min(base_ext_, ext);  // a packet reordered before the first one seen
  }
  ++received_;

  // Appendix A.8, with arrival converted to the stream's timestamp units. Only a newer frame's
  // first packet counts (see the header).
  const std::int64_t ts = timestamps_.unwrap(rtp_timestamp);
  if (newest_ts_ && ts <= *newest_ts_) return;
  const std::int64_t since = (now - first_arrival_).us();  // split: no product overflows
  const std::int64_t rate = clock_rate_;
  const std::int64_t arrival = since / 1'000'000 * rate + since % 1'000'000 * rate / 1'000'000;
  const std::int64_t transit = arrival - ts;
  if (newest_ts_) {
    const std::int64_t d = std::abs(transit - last_transit_);
    jitter_q4_ += d - ((jitter_q4_ + 8) >> 4);
  }
  newest_ts_ = ts;
  last_transit_ = transit;
}

void ReceiveStatistics::on_sender_report(std::uint64_t ntp_time, std::uint32_t rtp_time,
                                         Timestamp now) {
  sender_clock_ = SenderClock{ntp_time, rtp_time, now};
}

rtp::ReportBlock ReceiveStatistics::report_block(std::uint32_t ssrc, Timestamp now) {
  rtp::ReportBlock b;
  b.ssrc = ssrc;
  const std::int64_t exp = expected();
  // §6.4.1: cumulative loss is a signed 24-bit field; clamp rather than wrap.
  b.cumulative_lost = static_cast<std::int32_t>(std::clamp<std::int64_t>(lost(), -0x800000, 0x7fffff));
  b.highest_sequence = static_cast<std::uint32_t>(max_ext_ - rtp::SeqUnwrapper::kCycle);
  const std::int64_t expected_interval = exp - expected_prior_;
  const std::int64_t received_interval =
      static_cast<std::int64_t>(received_) - static_cast<std::int64_t>(received_prior_);
  const std::int64_t lost_interval = expected_interval - received_interval;
  expected_prior_ = exp;
  received_prior_ = received_;
  if (expected_interval > 0 && lost_interval > 0)
    b.fraction_lost = static_cast<std::uint8_t>(std::min<std::int64_t>(255, (lost_interval << 8) / expected_interval));
  b.jitter = jitter();
  if (sender_clock_) {
    b.last_sr = ntp_middle(sender_clock_->ntp_time);
    b.delay_since_last_sr = to_dlsr_units(now - sender_clock_->received);
  }
  return b;
}

std::uint32_t to_dlsr_units(Duration d) {
  if (d.us() <= 0) return 0;
  if (d.us() >= 65536LL * 1'000'000) return std::numeric_limits<std::uint32_t>::max();
  return static_cast<std::uint32_t>(d.us() * 65536 / 1'000'000);
}

Duration from_dlsr_units(std::uint32_t units) {
  return Duration::micros(static_cast<std::int64_t>(units) * 1'000'000 / 65536);
}

std::uint64_t ntp_plus(std::uint64_t ntp, Duration d) {
  // 32.32 fixed point: whole seconds shift up 32 bits, the rest scales by 2^32 / 10^6.
  const std::int64_t us = d.us();
  const std::int64_t whole = us / 1'000'000;
  const std::int64_t rest = us % 1'000'000;  // same sign as us
  const std::int64_t frac = rest * 4294967296LL / 1'000'000;  // |rest| < 10^6: no overflow
  return ntp + static_cast<std::uint64_t>(whole) * 4294967296ULL + static_cast<std::uint64_t>(frac);
}

}  // namespace peerkit::rtp
