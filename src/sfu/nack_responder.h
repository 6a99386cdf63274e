// Answers a subscriber's Generic NACK (RFC 4585 §6.2.1) from its stream's PacketHistory: each
// lost sequence number still held is re-written for the subscriber (write_egress with the
// fields it was first sent with) and wrapped as RFC 4588 §4 RTX (the subscriber's RTX SSRC and
// payload type, the RTX stream's own sequence numbers, the original sequence number first in
// the payload). Without a negotiated RTX stream (rtx_ssrc 0) the packet is resent as it was
// (RFC 4588 §1: retransmission in the original stream, which Chrome also accepts).
#pragma once

#include <optional>

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/time.h"
#include "rtp/extensions.h"
#include "rtp/rtcp_feedback.h"
#include "sfu/egress_writer.h"
#include "sfu/packet_history.h"

namespace peerkit::sfu {

// Where retransmissions go (the driver protects them with SRTP and sends them, or paces them).
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual void send(ByteSpan packet) = 0;
  // A retransmission is a new packet on the wire: on a connection with transport-wide CC it
  // takes the next transport sequence (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2),
  // so that its feedback is not mistaken for the original's. nullopt: keep the original's.
  virtual std::optional<std::uint16_t> next_transport_sequence() { return std::nullopt; }
};

class NackResponder {
 public:
  struct Stats {
    std::uint64_t requested = 0;
    std::uint64_t resent = 0;
    std::uint64_t unknown = 0;  // never sent, or no longer in the ring
    std::uint64_t expired = 0;
    std::uint64_t rate_limited = 0;
  };

  // `first_rtx_sequence` is random per RFC 3550 §5.1 (the caller draws it).
  explicit NackResponder(std::uint16_t first_rtx_sequence) : rtx_sequence_(first_rtx_sequence) {}

  // Resends what it can of `nack` through `sink`; returns how many packets were sent.
  std::size_t handle_nack(Timestamp now, const rtp::GenericNack& nack, Duration rtt,
                          PacketHistory& history, const rtp::ExtensionMap& publisher_extensions,
                          const SubscriberParams& sub, PacketSink& sink);

  const Stats& stats() const { return stats_; }
  // The RTX stream's next sequence number, for a padding packet sent on it (probing).
  std::uint16_t take_rtx_sequence() { return rtx_sequence_++; }

 private:
  std::uint16_t rtx_sequence_;
  Stats stats_;
  std::array<std::byte, kMaxPacketSize + kEgressGrowth> egress_{};
  std::array<std::byte, kMaxPacketSize + kEgressGrowth + 2> rtx_{};
};

}  // namespace peerkit::sfu
