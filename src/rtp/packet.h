// The RTP fixed header (RFC 3550 §5.1), CSRCs, the extension block (§5.3.1, elements per RFC
// 8285 in rtp/extensions.h) and padding; the RFC 5761 §4 / RFC 7983 demultiplexing rule for
// rtcp-mux; in-place rewriting of the fields an SFU changes per subscriber.
//
//    0                   1                   2                   3
//   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//   |                           timestamp                           |
//   |           synchronization source (SSRC) identifier            |
//   |            contributing source (CSRC) identifiers  (CC × 32)  |
//   |  profile (0xBEDE / 0x100X)    |      length (32-bit words)    |  if X
//   |                  header extension data ...                    |
//   |  payload ...                   | padding ... | padding count  |  if P
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "common/bytes.h"
#include "common/expected.h"
#include "rtp/error.h"
#include "rtp/extensions.h"

namespace peerkit::rtp {

constexpr std::size_t kFixedHeaderSize = 12;

struct Header {
  bool marker = false;
  std::uint8_t payload_type = 0;  // 0–127
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::array<std::uint32_t, 15> csrcs{};
  std::uint8_t csrc_count = 0;
  std::span<const std::uint32_t> csrc_list() const { return {csrcs.data(), csrc_count}; }
};

struct PacketView {
  Header header;
  ExtensionList extensions;  // empty when X is clear or the profile is not RFC 8285
  std::uint16_t extension_profile = 0;
  bool has_extension_block = false;
  std::size_t header_size = 0;  // fixed + CSRCs + extension block: where the payload starts
  ByteSpan payload;             // without padding
  std::uint8_t padding = 0;     // padding bytes at the end, including the count byte
};

// Views `packet` (no copy). Errors: kTooShort, kBadVersion, kBadExtension, kBadPadding, kTooMany.
Expected<PacketView, Error> parse_packet(ByteSpan packet);

// RFC 5761 §4 with RFC 7983: a datagram starting 128–191 is RTP or RTCP; RTCP when the second
// byte (PT with the marker bit) is 192–223 (i.e. PT 64–95 with M set, the RTCP types 200–207).
bool looks_like_rtp_or_rtcp(ByteSpan datagram);
bool is_rtcp(ByteSpan datagram);

struct PacketBuild {
  Header header;
  std::span<const Extension> extensions;  // one- or two-byte form chosen by extensions_size()
  ByteSpan payload;
  std::uint8_t padding = 0;  // total padding bytes to append (0 or 1–255)
};

std::size_t packet_size(const PacketBuild& p);  // 0 if the extensions cannot be encoded
// Writes the packet; returns its size. kBufferTooSmall, kBadExtension, kBadValue (PT > 127).
Expected<std::size_t, Error> build_packet(const PacketBuild& p, MutableByteSpan out);

// In-place forwarding rewrite: the SFU copies an ingress packet once into a subscriber's egress
// buffer and patches these fields there. Each returns false (and writes nothing) if the buffer
// is not at least a fixed RTP header.
bool set_payload_type(MutableByteSpan packet, std::uint8_t pt);
bool set_marker(MutableByteSpan packet, bool marker);
bool set_sequence(MutableByteSpan packet, std::uint16_t seq);
bool set_timestamp(MutableByteSpan packet, std::uint32_t ts);
bool set_ssrc(MutableByteSpan packet, std::uint32_t ssrc);

struct Rewrite {
  std::optional<std::uint8_t> payload_type;
  std::optional<std::uint16_t> sequence;
  std::optional<std::uint32_t> timestamp;
  std::optional<std::uint32_t> ssrc;
};
bool rewrite_in_place(MutableByteSpan packet, const Rewrite& r);

// Re-serialises `packet` for a subscriber whose extension ids are `to` (ingress ids `from`):
// the header fields are rewritten per `r`, extensions remapped (unknown ones dropped), payload
// and padding copied once. Returns the new size.
Expected<std::size_t, Error> rewrite_packet(ByteSpan packet, const ExtensionMap& from,
                                            const ExtensionMap& to, const Rewrite& r,
                                            MutableByteSpan out);

}  // namespace peerkit::rtp
