// What a subscriber connection sent, by transport-wide sequence number, so that transport-wide
// congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) can be
// turned into (send time, arrival time, size) per packet for the bandwidth estimator.
//
// The SFU stamps every packet it sends on a connection with the connection's own transport-wide
// sequence (sfu/egress_writer.h); the receiver reports, for a run of those numbers, which
// arrived and when, in its own clock. Only differences of arrival times mean anything, so they
// are returned as Timestamps in the receiver's time base.
//
// Bounded: a ring of kCapacity entries; a packet older than that, or a number never sent, is
// skipped when feedback names it. A packet is reported once: overlapping feedback (a receiver
// repeats what a lost feedback packet said) does not count it twice; only a packet reported
// lost and later received (it was late) is reported again, as received.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/time.h"
#include "rtp/sequence.h"
#include "rtp/twcc.h"

namespace peerkit::sfu {

struct PacketResult {
  Timestamp send_time;
  std::size_t size = 0;  // bytes on the wire (RTP, before SRTP)
  bool received = false;
  Timestamp arrival;  // the receiver's clock; meaningful only when received
};

class SendHistory {
 public:
  // At most 2 s of 2 000 packets/s (~19 Mbit/s of 1 200-byte packets); 24 bytes each, 96 KiB a
  // connection. The ring starts at kInitialCapacity and doubles only when it would overwrite a
  // packet sent less than kKeep ago that no feedback has reported yet, so a connection costs
  // what its rate needs (T12), not the maximum.
  static constexpr std::size_t kCapacity = 4096;
  static constexpr std::size_t kInitialCapacity = 256;
  static constexpr Duration kKeep = Duration::seconds(2);
  std::size_t capacity() const { return ring_.size(); }

  void on_sent(std::uint16_t transport_seq, std::size_t size, Timestamp now);
  // The packets `feedback` reports for the first time, in sequence order.
  std::vector<PacketResult> on_feedback(const rtp::TransportFeedback& feedback);

  std::size_t unknown_reports() const { return unknown_reports_; }

 private:
  struct Entry {
    std::int64_t seq = -1;
    Timestamp send_time;
    std::uint32_t size = 0;
    enum class Reported : std::uint8_t { kNo, kLost, kReceived } reported = Reported::kNo;
  };
  Entry* find(std::int64_t seq);
  Entry& slot(std::int64_t seq) { return ring_[static_cast<std::size_t>(seq) % ring_.size()]; }
  void grow();

  std::vector<Entry> ring_ = std::vector<Entry>(kInitialCapacity);
  rtp::SeqUnwrapper unwrap_;
  std::size_t unknown_reports_ = 0;
};

}  // namespace peerkit::sfu
