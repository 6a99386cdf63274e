// What a receiver knows of one remote SSRC — the numbers of a report block (RFC 3550 §6.4.1)
// and the sender's last sender report. The SFU keeps one per publisher layer, a native
// PeerConnection one per SSRC it receives (peer/media_session.h):
//
//   - extended highest sequence number, cumulative and fractional loss (Appendix A.3): expected
//     is the span of the extended numbers seen, lost = expected − received (so duplicates can
//     make it negative, as the RFC allows); the fraction is over the interval since the last
//     block;
//   - interarrival jitter (§6.4.1, Appendix A.8) in timestamp units, from packets whose RTP
//     timestamp is newer than any before: the packets of one frame share a timestamp but leave
//     the sender spread over its pacing, which is not network jitter;
//   - LSR / DLSR for the sender's RTT, and the SR's (NTP, RTP) pair, which the SFU carries
//     over into its own sender reports toward subscribers (sfu/sender_reports.h) so that their
//     audio/video sync still refers to the publisher's clock.
//
// Sans-IO: every input carries its Timestamp.
#pragma once

#include <cstdint>
#include <optional>

#include "common/time.h"
#include "rtp/rtcp.h"
#include "rtp/sequence.h"

namespace peerkit::rtp {

// The publisher's clock as its last sender report gave it.
struct SenderClock {
  std::uint64_t ntp_time = 0;  // 32.32 fixed point (RFC 3550 §4)
  std::uint32_t rtp_time = 0;
  Timestamp received;  // when the SR arrived
};

class ReceiveStatistics {
 public:
  explicit ReceiveStatistics(std::uint32_t clock_rate) : clock_rate_(clock_rate) {}

  void on_packet(std::uint16_t sequence, std::uint32_t rtp_timestamp, Timestamp now);
  void on_sender_report(std::uint64_t ntp_time, std::uint32_t rtp_time, Timestamp now);

  bool has_packets() const { return received_ > 0; }
  const std::optional<SenderClock>& sender_clock() const { return sender_clock_; }

  // The block for `ssrc` as of `now`; starts the next interval for fraction_lost.
  rtp::ReportBlock report_block(std::uint32_t ssrc, Timestamp now);

  std::int64_t expected() const { return received_ ? max_ext_ - base_ext_ + 1 : 0; }
  std::int64_t lost() const { return expected() - static_cast<std::int64_t>(received_); }
  std::uint32_t jitter() const { return static_cast<std::uint32_t>(jitter_q4_ >> 4); }

 private:
  std::uint32_t clock_rate_;
  rtp::SeqUnwrapper sequences_;
  std::int64_t base_ext_ = 0;
  std::int64_t max_ext_ = 0;
  std::uint64_t received_ = 0;
  // Interval bookkeeping for fraction_lost (Appendix A.3).
  std::int64_t expected_prior_ = 0;
  std::uint64_t received_prior_ = 0;
  // Jitter, ×16 as in Appendix A.8 so the 1/16 gain keeps its fraction.
  rtp::TimestampUnwrapper timestamps_;
  std::optional<std::int64_t> newest_ts_;
  std::int64_t last_transit_ = 0;
  std::int64_t jitter_q4_ = 0;
  Timestamp first_arrival_;
  std::optional<SenderClock> sender_clock_;
};

// 1/65536 s units (DLSR) for a duration, saturating.
std::uint32_t to_dlsr_units(Duration d);
Duration from_dlsr_units(std::uint32_t units);
// NTP 32.32 plus a duration (which may be negative).
std::uint64_t ntp_plus(std::uint64_t ntp, Duration d);
// The middle 32 bits of an NTP time: what LSR carries.
constexpr std::uint32_t ntp_middle(std::uint64_t ntp) {
  return static_cast<std::uint32_t>(ntp >> 16);
}

}  // namespace peerkit::rtp
