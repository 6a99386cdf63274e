// Writes one ingress packet as a subscriber receives it: the subscriber's SSRC and payload type,
// the stream's rewritten sequence number / timestamp / VP8 picture id and TL0PICIDX, and the
// header extensions under the subscriber's ids (RFC 8285 §5: ids are per connection; Chrome
// M140+ no longer fixes them, so they must be mapped by kind, never copied).
//
// Extensions, by kind: mid carries the subscriber's own mid (RFC 9143 §15: the receiver demuxes
// by it), rid and repaired-rid are dropped (the subscriber sees one plain stream, not simulcast),
// transport-wide-cc carries the subscriber transport's own sequence when the caller gives one
// (the publisher's counts another connection; forwarding it would corrupt the feedback) and is
// added when the publisher's packet had none, else it is dropped; the other known kinds keep their value; kinds the subscriber did not negotiate go.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/expected.h"
#include "rtp/error.h"
#include "rtp/extensions.h"
#include "sfu/ingress_packet.h"

namespace peerkit::sfu {

// What one subscriber negotiated for one track (from the SFU's subscribe offer and its answer).
struct SubscriberParams {
  std::uint32_t ssrc = 0;
  std::uint8_t payload_type = 0;
  std::uint32_t rtx_ssrc = 0;         // a=ssrc-group:FID ssrc rtx_ssrc; 0 = no RTX
  std::uint8_t rtx_payload_type = 0;  // apt=payload_type
  rtp::ExtensionMap extensions;
  std::string mid;  // the subscriber's mid for this track; empty = drop the mid extension
};

// The per-packet values the OutboundStream computed for this subscriber.
struct EgressFields {
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint16_t picture_id = 0;  // written only if the packet has one (width kept)
  std::uint8_t tl0picidx = 0;    // written only if the packet has one
  std::optional<std::uint16_t> transport_sequence;
};

// Largest growth of a packet through write_egress: a mid longer than the publisher's plus the
// switch from the one-byte to the two-byte extension form. Egress buffers are ingress + this.
constexpr std::size_t kEgressGrowth = 300;

// Returns the size written. Errors: those of rtp::parse_packet / build_packet (kBufferTooSmall).
Expected<std::size_t, rtp::Error> write_egress(const IngressPacket& in,
                                               const rtp::ExtensionMap& publisher_extensions,
                                               const SubscriberParams& sub, const EgressFields& f,
                                               MutableByteSpan out);

}  // namespace peerkit::sfu
