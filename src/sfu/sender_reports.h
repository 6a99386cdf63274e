// The SFU as a sender toward subscribers (RFC 3550 §6.4.1): a sender report per forwarded
// stream, and the round-trip time from the report blocks that come back.
//
// The SFU owns no wall clock (cores never read one) and must not invent one: a subscriber
// synchronises a publisher's audio and video by the (NTP, RTP) pairs of their sender reports,
// so both must refer to the *publisher's* clock. A stream's report therefore carries the
// publisher's last (NTP, RTP) pair for the layer being forwarded, advanced by the time since it
// arrived, with the RTP side moved by the stream's own timestamp offset (sfu/outbound_stream.h).
// Until the publisher has sent a report for that layer there is nothing honest to say, and no
// report is sent.
//
// RTT (§6.4.1): a block naming one of our reports gives A − LSR − DLSR; A − LSR is measured
// here as the time since we sent that report, so no NTP clock is needed for it either.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "common/time.h"
#include "rtp/rtcp.h"
#include "rtp/receive_statistics.h"

namespace peerkit::sfu {

struct StreamCounters {  // what the SR's sender info counts: media packets and payload octets
  std::uint32_t packets = 0;
  std::uint32_t octets = 0;
};

rtp::SenderReport sender_report(std::uint32_t ssrc, const rtp::SenderClock& publisher,
                                std::uint32_t clock_rate, std::uint32_t timestamp_offset,
                                StreamCounters sent, Timestamp now);

// The last few reports one stream sent, to match the LSR of a block coming back.
class SentReports {
 public:
  void on_sent(const rtp::SenderReport& sr, Timestamp now);
  // A − LSR − DLSR for a block naming one of them; nullopt for LSR 0 (no report received
  // yet), an unknown LSR, or a negative result.
  std::optional<Duration> round_trip(const rtp::ReportBlock& b, Timestamp now) const;

 private:
  struct Sent {
    std::uint32_t lsr = 0;
    Timestamp at;
  };
  // At one report a second, an answer older than four reports would mean an RTT of seconds.
  std::array<Sent, 4> sent_{};
  std::size_t next_ = 0;
};

// A connection's RTT from its samples: the first sample, then an exponentially weighted mean
// with gain 1/8 (the smoothing of RFC 6298 §2), each sample clamped to [1 ms, 10 s].
class SmoothedRtt {
 public:
  void add(Duration sample);
  std::optional<Duration> value() const { return value_; }
  std::uint64_t samples() const { return samples_; }

 private:
  std::optional<Duration> value_;
  std::uint64_t samples_ = 0;
};

}  // namespace peerkit::sfu
