#include "sfu/nack_responder.h"

#include "rtp/rtx.h"

namespace peerkit::sfu {

std::size_t NackResponder::handle_nack(Timestamp now, const rtp::GenericNack& nack, Duration rtt,
                                       PacketHistory& history,
                                       const rtp::ExtensionMap& publisher_extensions,
                                       const SubscriberParams& sub, PacketSink& sink) {
  std::size_t sent = 0;
  for (std::uint16_t seq : rtp::nack_sequences(nack)) {
    ++stats_.requested;
    auto e = history.take_for_resend(now, seq, rtt);
    if (!e) {
      switch (e.error()) {
        case PacketHistory::Miss::kUnknown:
          ++stats_.unknown;
          break;
        case PacketHistory::Miss::kExpired:
          ++stats_.expired;
          break;
        case PacketHistory::Miss::kRateLimited:
          ++stats_.rate_limited;
          break;
      }
      continue;
    }
    const PacketHistory::Entry& entry = **e;
    EgressFields fields = entry.fields;
    if (fields.transport_sequence)
      if (auto next = sink.next_transport_sequence()) fields.transport_sequence = next;
    auto n = write_egress(*entry.packet, publisher_extensions, sub, fields, egress_);
    if (!n) {
      ++stats_.unknown;  // cannot happen for a packet that was written once; counted anyway
      continue;
    }
    ByteSpan original = std::span(egress_).first(*n);
    if (sub.rtx_ssrc == 0) {
      sink.send(original);
    } else {
      rtp::RtxParams p{sub.rtx_ssrc, sub.rtx_payload_type, rtx_sequence_};
      auto r = rtp::wrap_rtx(original, p, rtx_);
      if (!r) {
        ++stats_.unknown;
        continue;
      }
      ++rtx_sequence_;
      sink.send(std::span(rtx_).first(*r));
    }
    ++stats_.resent;
    ++sent;
  }
  return sent;
}

}  // namespace peerkit::sfu
