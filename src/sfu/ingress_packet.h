// One packet a publisher sent, parsed once and shared by every subscriber that forwards it
// (issue 11: "one copy of each ingress packet shared by every subscriber"). The bytes are the
// decrypted RTP packet as it arrived; the fields below are what every OutboundStream needs to
// decide and rewrite, so no subscriber parses the packet again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/bytes.h"
#include "common/expected.h"
#include "common/time.h"
#include "rtp/error.h"

namespace peerkit::sfu {

// Simulcast layer index in ascending quality order (rid q/h/f → 0/1/2); audio uses 0.
constexpr int kMaxLayers = 3;
// Limit: largest ingress packet (a UDP datagram on a 1 500-byte MTU path); larger is kBadLength.
constexpr std::size_t kMaxPacketSize = 1500;

struct IngressPacket {
  std::vector<std::byte> bytes;  // the whole RTP packet (header, extensions, payload, padding)
  Timestamp arrival;
  int layer = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  bool marker = false;
  std::size_t payload_offset = 0;  // where the RTP payload (VP8 descriptor) starts
  std::size_t payload_size = 0;    // without padding; 0 for a padding-only packet
  // VP8 (RFC 7741): keyframe start and the descriptor fields a subscriber rewrites.
  bool keyframe = false;
  bool has_picture_id = false;
  bool picture_id_15bit = false;
  std::uint16_t picture_id = 0;  // 7 or 15 bits as sent
  bool has_tl0picidx = false;
  std::uint8_t tl0picidx = 0;

  ByteSpan payload() const { return ByteSpan(bytes).subspan(payload_offset, payload_size); }
};

// Reference-counted: the router keeps one per ingress packet, histories of every subscriber
// hold a reference while the packet may still be retransmitted. Single-threaded use (one loop
// per worker) — the count is not what makes sharing safe, the loop is.
using IngressRef = std::shared_ptr<const IngressPacket>;

enum class Codec : std::uint8_t { kOpus, kVp8, kOther };

// Copies `packet` once and parses it. VP8 fields are filled for Codec::kVp8 only; a VP8 payload
// whose descriptor is malformed is an error (a subscriber's decoder would choke on it too).
// Errors: kBadLength above kMaxPacketSize, those of rtp::parse_packet / rtp::parse_vp8.
Expected<IngressRef, rtp::Error> make_ingress(ByteSpan packet, Timestamp arrival, int layer,
                                              Codec codec);

}  // namespace peerkit::sfu
