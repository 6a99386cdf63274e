#include "sfu/sender_reports.h"

#include <algorithm>

namespace peerkit::sfu {

rtp::SenderReport sender_report(std::uint32_t ssrc, const rtp::SenderClock& publisher,
                                std::uint32_t clock_rate, std::uint32_t timestamp_offset,
                                StreamCounters sent, Timestamp now) {
  const Duration elapsed = now - publisher.received;
  rtp::SenderReport sr;
  sr.ssrc = ssrc;
  sr.ntp_time = rtp::ntp_plus(publisher.ntp_time, elapsed);
  // Whole seconds and the rest apart, so that no elapsed time overflows the product.
  const std::int64_t rate = clock_rate;
  const std::int64_t ticks =
      elapsed.us() / 1'000'000 * rate + elapsed.us() % 1'000'000 * rate / 1'000'000;
  sr.rtp_time = publisher.rtp_time + static_cast<std::uint32_t>(ticks) + timestamp_offset;
  sr.packet_count = sent.packets;
  sr.octet_count = sent.octets;
  return sr;
}

void SentReports::on_sent(const rtp::SenderReport& sr, Timestamp now) {
  sent_[next_] = Sent{rtp::ntp_middle(sr.ntp_time), now};
  next_ = (next_ + 1) % sent_.size();
}

std::optional<Duration> SentReports::round_trip(const rtp::ReportBlock& b, Timestamp now) const {
  if (b.last_sr == 0) return std::nullopt;
  for (const Sent& s : sent_) {
    if (s.lsr != b.last_sr || s.at == Timestamp()) continue;
    const Duration rtt = (now - s.at) - rtp::from_dlsr_units(b.delay_since_last_sr);
    // DLSR is rounded to 1/65536 s, so a near-zero RTT may come out slightly negative.
    if (rtt < Duration::micros(-1000)) return std::nullopt;
    return std::max(rtt, Duration());
  }
  return std::nullopt;
}

void SmoothedRtt::add(Duration sample) {
  sample = std::clamp(sample, Duration::millis(1), Duration::seconds(10));
  ++samples_;
  if (!value_) {
    value_ = sample;
    return;
  }
  value_ = Duration::micros(value_->us() + (sample.us() - value_->us()) / 8);
}

}  // namespace peerkit::sfu
