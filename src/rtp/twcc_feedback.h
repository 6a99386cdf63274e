// Transport-wide congestion control feedback a receiver sends — the SFU to a publisher, a native
// PeerConnection to its remote (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): the
// arrival time of every packet that carried the sender's transport-wide sequence number,
// reported every 50 ms. The sender's estimate runs on it; without it Chrome's stays at its
// start value and the upper simulcast layers are never sent, and the SFU keeps a subscriber
// on what its start value allows.
//
// Every packet counts — media, RTX, padding — since the sender numbered them all; a number
// missing from a report is a loss to the sender. Arrival deltas are 250 µs ticks; a gap larger
// than a 16-bit delta allows (8 s) starts a new report, as does reaching kMaxPacketsPerReport.
// Bounded: numbers more than kWindow behind the newest are forgotten; late arrivals for numbers
// already reported are not reported again.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "common/time.h"
#include "rtp/sequence.h"
#include "rtp/twcc.h"

namespace peerkit::rtp {

class TwccFeedback {
 public:
  static constexpr Duration kInterval = Duration::millis(50);
  static constexpr std::size_t kMaxPacketsPerReport = 400;  // one report stays under ~1 KB
  static constexpr std::int64_t kWindow = 8192;
  // More numbers skipped at once than 50 ms hold at 20 000 packets/s: not loss, a new start.
  static constexpr std::int64_t kMaxJump = 1000;

  void on_packet(std::uint16_t transport_seq, Timestamp arrival);
  // The next report when one is due at `now` (call until nullopt).
  std::optional<rtp::TransportFeedback> poll(Timestamp now, std::uint32_t sender_ssrc,
                                             std::uint32_t media_ssrc);
  Timestamp next_timeout() const;
  std::uint64_t reports() const { return reports_; }

 private:
  rtp::SeqUnwrapper unwrap_;
  std::map<std::int64_t, Timestamp> arrivals_;  // not yet reported
  std::optional<std::int64_t> next_report_;     // the first number not yet covered
  Timestamp next_send_ = Timestamp::never();
  std::uint8_t count_ = 0;
  std::uint64_t reports_ = 0;
};

}  // namespace peerkit::rtp
