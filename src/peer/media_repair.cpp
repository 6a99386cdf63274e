// MediaSession's receive-side repair and feedback: RTX retransmissions restored to the packets
// they repair (RFC 4588 §4), and transport-wide congestion control feedback for every packet
// the remote numbered (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1), which is
// what lets the SFU estimate our path and choose our simulcast layers.
#include <algorithm>

#include "peer/media_session.h"
#include "rtp/extension_values.h"
#include "rtp/rtcp.h"
#include "rtp/rtx.h"

namespace peerkit::peer {

std::optional<ByteSpan> MediaSession::restore_rtx(const rtp::PacketView& v, ByteSpan plain) {
  for (const auto& t : receiving_) {
    if (!t.rtx_payload_type || v.header.payload_type != *t.rtx_payload_type || !t.payload_type) continue;
    const auto pair = std::find_if(t.rtx_ssrcs.begin(), t.rtx_ssrcs.end(),
                                   [&](const auto& p) { return p.first == v.header.ssrc; });
    // An RTX type on an SSRC the remote never paired with a media SSRC: nothing to restore it to
    // (a simulcast RTX stream names its layer with repaired-rid, which we do not receive).
    if (pair == t.rtx_ssrcs.end()) continue;
    if (v.payload.size() < 2) {  // §4: no OSN, padding only — a probe, not a retransmission
      ++counters_[t.mid].padding_packets_received;
      return ByteSpan();
    }
    restored_.resize(plain.size());
    auto n = rtp::unwrap_rtx(plain, rtp::OriginalParams{pair->second, *t.payload_type},
                             MutableByteSpan(restored_.data(), restored_.size()));
    if (!n) return ByteSpan();
    return ByteSpan(restored_.data(), *n);
  }
  return std::nullopt;
}

// Every authenticated packet with a transport-wide number counts, media, RTX and padding alike:
// the sender numbered them all, and one missing from the feedback is a loss to it.
void MediaSession::note_arrival(const rtp::PacketView& v, Timestamp now) {
  if (!twcc_extension_) return;
  const auto data = v.extensions.find(*twcc_extension_);
  if (!data) return;
  const auto seq = rtp::parse_transport_cc(*data);
  if (!seq) return;
  twcc_.on_packet(*seq, now);
  twcc_media_ssrc_ = v.header.ssrc;
}

// Transport-layer feedback (RTPFB FMT 15) goes like a NACK: behind an empty RR unless
// reduced-size RTCP was negotiated (RFC 5506).
std::optional<std::vector<std::byte>> MediaSession::poll_transport_feedback(Timestamp now) {
  // Bounded: poll() always reports something while arrivals wait (its first delta fits), but
  // a deadline left at `now` must never make the caller spin.
  for (int round = 0; round < 8 && twcc_.next_timeout() <= now; ++round) {
    auto f = twcc_.poll(now, receiver_ssrc_, twcc_media_ssrc_);
    if (!f) continue;
    std::vector<rtp::RtcpPacket> packets;
    if (!reduced_size_) packets.emplace_back(rtp::ReceiverReport{receiver_ssrc_, {}});
    packets.emplace_back(std::move(*f));
    auto d = protect_compound(packets);  // ≤ 400 packets a report: about 1 KB
    if (!d) {
      ++report_errors_;
      continue;
    }
    ++transport_feedback_sent_;
    return d;
  }
  return std::nullopt;
}

}  // namespace peerkit::peer
