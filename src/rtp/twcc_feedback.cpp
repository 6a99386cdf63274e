#include "rtp/twcc_feedback.h"

namespace peerkit::rtp {

void TwccFeedback::on_packet(std::uint16_t transport_seq, Timestamp arrival) {
  const std::int64_t seq = unwrap_.unwrap(transport_seq);
  if (next_report_ && seq < *next_report_) return;  // already reported (as lost): too late
  // A jump forward no sending rate explains (a restarted sender, or a hostile one): start over
  // from it, rather than send a run of reports calling every skipped number lost.
  const std::int64_t newest = arrivals_.empty() ? next_report_.value_or(seq) : arrivals_.rbegin()->first;
  if (seq - newest > kMaxJump) {
    arrivals_.clear();
    next_report_ = seq;
  }
  arrivals_.emplace(seq, arrival);
  // Far behind the newest: a sender that jumped, or a flood of junk numbers.
  while (!arrivals_.empty() && arrivals_.rbegin()->first - arrivals_.begin()->first >= kWindow)
    arrivals_.erase(arrivals_.begin());
  if (next_send_ == Timestamp::never()) next_send_ = arrival + kInterval;
}

Timestamp TwccFeedback::next_timeout() const {
  return arrivals_.empty() ? Timestamp::never() : next_send_;
}

std::optional<rtp::TransportFeedback> TwccFeedback::poll(Timestamp now, std::uint32_t sender_ssrc,
                                                         std::uint32_t media_ssrc) {
  if (arrivals_.empty() || now < next_send_) return std::nullopt;
  // The report covers from the first number not yet reported (gaps before the first arrival
  // at the very start are not losses we know of) up to the newest arrival, in order.
  std::int64_t first = next_report_ ? *next_report_ : arrivals_.begin()->first;
  first = std::max(first, arrivals_.rbegin()->first - kWindow + 1);
  rtp::TransportFeedback f;
  f.sender_ssrc = sender_ssrc;
  f.media_ssrc = media_ssrc;
  f.base_sequence = static_cast<std::uint16_t>(first);
  f.feedback_count = count_;
  const Timestamp first_arrival = arrivals_.begin()->second;
  // §3.1: the reference time is in 64 ms units (24 bits, wrapping).
  const std::int64_t reference = first_arrival.us() / rtp::kTwccReferenceUs;
  f.reference_time = static_cast<std::int32_t>(reference & 0xffffff);
  std::int64_t previous_us = reference * rtp::kTwccReferenceUs;
  std::int64_t seq = first;
  auto it = arrivals_.begin();
  while (it != arrivals_.end() && f.packets.size() < kMaxPacketsPerReport) {
    if (seq < it->first) {  // not received (yet): lost, as far as this report goes
      f.packets.push_back({rtp::TwccStatus::kNotReceived, 0});
      ++seq;
      continue;
    }
    const std::int64_t ticks = (it->second.us() - previous_us) / rtp::kTwccDeltaUs;
    if (ticks < -32768 || ticks > 32767) break;  // the rest goes in the next report
    f.packets.push_back({rtp::twcc_status_for(static_cast<std::int32_t>(ticks)),
                         static_cast<std::int32_t>(ticks)});
    previous_us += ticks * rtp::kTwccDeltaUs;  // deltas accumulate exactly, rounding included
    ++seq;
    it = arrivals_.erase(it);
  }
  next_report_ = seq;
  // What is left did not fit (the packet cap, or a gap wider than a delta): report it at once.
  // Otherwise the next report is due kInterval after the next arrival (on_packet).
  next_send_ = arrivals_.empty() ? Timestamp::never() : now;
  ++count_;
  ++reports_;
  if (f.packets.empty()) return std::nullopt;
  return f;
}

}  // namespace peerkit::rtp
